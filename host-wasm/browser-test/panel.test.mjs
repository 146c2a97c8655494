// The admin panel (dist/web, built by scripts/build-wasm.sh) in headless
// Chromium: the vectors' files (tests/vectors) are picked through the file inputs
// and the page must show what each vector expects; then a reorder and
// download round trip, a live countdown, the page opened from file://, and
// no console errors or requests leaving the page's own origin.
//
// Run: (cd host-wasm/browser-test && npm ci && node --test panel.test.mjs)
// CHROMIUM overrides the browser (default /usr/bin/chromium). The doctor and
// order tests run the CLI on the same files (`cargo build -p clawdbot`
// first, or CLAWDBOT_BIN).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePort } from './live-home.mjs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
// PANEL_WEB_DIR runs the same tests against another build (an older panel, say).
const webDir = process.env.PANEL_WEB_DIR ? resolve(process.env.PANEL_WEB_DIR) : join(root, 'dist/web');
const vectorsDir = join(root, 'tests/vectors');
const screenshotPath = join(root, 'target/panel.png');
const narrowScreenshotPath = join(root, 'target/panel-400px.png');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
// The CLI the panel's commands must agree with (built by scripts/test-wasm.sh).
const clawdbotBin = process.env.CLAWDBOT_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug/clawdbot');

/** Which file input takes which home file. */
const INPUT_FOR_PATH = {
  '.clawdbot/agents/main/agent/auth-profiles.json': 'store',
  '.claude/.credentials.json': 'claude',
  '.codex/auth.json': 'codex',
  '.clawdbot/clawdbot.json': 'config',
  '.clawdbot/agents/main/agent/auth.json': 'legacyStore',
};
/** Keys whose values are secrets in the credential formats. */
const SECRET_KEYS = new Set(['key', 'token', 'access', 'refresh', 'accessToken', 'refreshToken', 'access_token', 'refresh_token', 'id_token']);

let server;
let context;
let page;
let origin;
let scratch;
const problems = []; // console errors, page errors, foreign requests

function readVector(name) {
  return JSON.parse(readFileSync(join(vectorsDir, name), 'utf8'));
}

async function waitForServer(url, child) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`http.server exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 15 s`);
}

before(async () => {
  if (!existsSync(join(webDir, 'index.html')) || !existsSync(join(webDir, 'clawdbot_auth_wasm_bg.wasm'))) {
    throw new Error(`${webDir} is incomplete: run scripts/build-wasm.sh first`);
  }
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: apt-get install -y chromium (or set CHROMIUM)`);
  }
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', webDir], {
    stdio: 'ignore',
  });
  await waitForServer(`${origin}/index.html`, server);

  scratch = await mkdtemp(join(tmpdir(), 'clawdbot-panel-'));
  context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  watch(page, origin);
  await page.clock.setFixedTime(readVector('08-mixed-providers.json').now);
  await page.goto(`${origin}/index.html`);
  await waitReady(page);
});

after(async () => {
  await context?.close();
  server?.kill();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Records console errors, uncaught errors and requests to other origins. */
function watch(target, allowedOrigin) {
  target.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  target.on('request', (request) => {
    const url = new URL(request.url());
    const local = url.origin === allowedOrigin || ['blob:', 'data:', 'file:'].includes(url.protocol);
    if (!local) problems.push(`request left the page: ${request.url()}`);
  });
}

function assertNoProblems() {
  assert.deepEqual(problems, [], 'console errors or foreign requests');
}

async function waitReady(target) {
  await target.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 20000 });
  const ready = await target.evaluate(() => document.body.dataset.ready);
  const error = await target.locator('#load-error').textContent();
  assert.equal(ready, '1', `the page did not initialise: ${error}`);
}

/** Writes a vector's home files to disk under their own names. */
async function writeHome(vector) {
  const dir = join(scratch, 'homes', vector.name);
  await mkdir(dir, { recursive: true });
  const files = [];
  for (const [path, content] of Object.entries(vector.home)) {
    const text = typeof content?.$text === 'string' ? content.$text : JSON.stringify(content, null, 2);
    const file = join(dir, basename(path));
    await writeFile(file, text);
    files.push({ kind: INPUT_FOR_PATH[path], file });
  }
  return files;
}

/** Forgets every file, pins the clock to the vector's and picks its files. */
async function loadVector(target, vector) {
  await target.click('#clear-files');
  await target.clock.setFixedTime(vector.now);
  for (const { kind, file } of await writeHome(vector)) {
    await pick(target, kind, file);
  }
}

/** Picks one file through its role's input and waits until the page took it
 * (read or not: an unreadable store must not say "Loaded"). */
async function pick(target, kind, file) {
  await target.setInputFiles(`#file-${kind}`, file);
  await target.waitForFunction((k) => document.getElementById(`file-${k}-state`).textContent !== 'Not loaded', kind);
}

/** Forgets every file, pins the clock and picks `files` ({kind: [name, text]}). */
async function loadFiles(target, now, files) {
  await target.click('#clear-files');
  await target.clock.setFixedTime(now);
  const dir = await mkdtemp(join(scratch, 'files-'));
  for (const [kind, [name, content]] of Object.entries(files)) {
    const file = join(dir, name);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    await pick(target, kind, file);
  }
}

/** What the page shows, read from the DOM. */
function readPanel(target) {
  return target.evaluate(() => {
    const rows = (selector) => Array.from(document.querySelectorAll(selector));
    return {
      check: document.getElementById('check-result').dataset.check,
      checkCode: document.getElementById('check-code').textContent,
      checkText: document.getElementById('check-text').textContent,
      profiles: rows('#profiles tbody tr').map((tr) => ({
        id: tr.dataset.profileId,
        status: tr.dataset.status,
        label: tr.querySelector('th').textContent,
        badge: tr.querySelector('.badge').textContent.trim(),
        remaining: tr.querySelector('.remaining-short')?.textContent,
      })),
      providers: rows('#providers tbody tr').map((tr) => ({
        provider: tr.dataset.provider,
        status: tr.dataset.status,
        badge: tr.querySelector('.badge').textContent.trim(),
      })),
      missing: rows('#missing li').map((li) => li.dataset.provider),
      cooldowns: rows('#cooldowns tbody tr').map((tr) => ({ id: tr.dataset.profileId, text: tr.textContent })),
      order: Object.fromEntries(
        rows('#order .order-group').map((g) => [
          g.dataset.provider,
          { editable: Array.from(g.querySelectorAll('li')).map((li) => li.dataset.profileId), effective: JSON.parse(g.dataset.effective) },
        ]),
      ),
      diagnostics: document.getElementById('diagnostics').textContent,
      doctor: document.getElementById('doctor').textContent,
      text: document.body.textContent,
    };
  });
}

/** Every secret value in a vector's home files. */
function secretsOf(value, found = []) {
  if (Array.isArray(value)) value.forEach((v) => secretsOf(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (SECRET_KEYS.has(key) && typeof v === 'string') found.push(v);
      else secretsOf(v, found);
    }
  }
  return found;
}

function assertMatchesVector(panel, vector) {
  const expect = vector.expect;
  if ('check' in expect) {
    assert.equal(panel.check, String(expect.check), 'check code');
    assert.equal(panel.checkCode, String(expect.check), 'check code text');
  }
  if (expect.profiles) {
    if (Object.keys(expect.profiles).length === 0) assert.deepEqual(panel.profiles, [], 'no profiles');
    for (const [id, fields] of Object.entries(expect.profiles)) {
      const row = panel.profiles.find((p) => p.id === id);
      assert.ok(row, `a row for ${id}`);
      if (fields.status) {
        assert.equal(row.status, fields.status, `${id} status`);
        const word = fields.status === 'missing' ? 'unknown' : fields.status;
        assert.ok(row.badge.endsWith(word), `${id} shows "${word}" as text, got "${row.badge}"`);
      }
      if (fields.label) assert.equal(row.label, fields.label, `${id} label`);
      if (fields.remaining) assert.equal(row.remaining, fields.remaining, `${id} remaining`);
    }
  }
  for (const [provider, status] of Object.entries(expect.providers ?? {})) {
    const row = panel.providers.find((p) => p.provider === provider);
    assert.ok(row, `a row for provider ${provider}`);
    assert.equal(row.status, status, `provider ${provider} status`);
  }
  if (expect.missingProvidersInUse) {
    assert.deepEqual(panel.missing, expect.missingProvidersInUse, 'missing providers in use');
  }
  for (const entry of expect.unusableProfiles ?? []) {
    const row = panel.cooldowns.find((c) => c.id === entry.profileId);
    assert.ok(row, `${entry.profileId} listed in cooldowns`);
    if (entry.kind) assert.ok(row.text.includes(entry.kind), `${entry.profileId} kind ${entry.kind}`);
  }
  for (const [provider, ids] of Object.entries(expect.order ?? {})) {
    assert.deepEqual(panel.order[provider]?.effective, ids, `${provider} order`);
  }
  if (expect.diagnosticMentions) {
    assert.ok(panel.diagnostics.includes(expect.diagnosticMentions), `a diagnostic mentions ${expect.diagnosticMentions}`);
  }
  for (const secret of secretsOf(vector.home)) {
    if (secret.length >= 8) assert.ok(!panel.text.includes(secret), `the page shows a secret unmasked: ${secret.slice(0, 6)}…`);
  }
}

/** Vectors the panel can reproduce: files it has inputs for, no environment,
 * the default rule (`--strict` is a CLI option; the panel shows what
 * `models status --check` judges by default) and the default agent (the
 * page has no agent picker: a vector judged for `--agent` is another view). */
const panelVectors = readdirSync(vectorsDir)
  .filter((name) => name.endsWith('.json') && name !== 'units.json')
  .sort()
  .map(readVector)
  .filter((v) => {
    const paths = Object.keys(v.home ?? {});
    return (
      paths.length > 0 &&
      paths.every((p) => p in INPUT_FOR_PATH) &&
      Object.keys(v.env ?? {}).length === 0 &&
      !v.strict &&
      v.agent === undefined
    );
  });

test('the panel shows every vector it can load as the vector expects', { timeout: 120000 }, async (t) => {
  assert.ok(panelVectors.length >= 10, `only ${panelVectors.length} vectors usable in the panel`);
  for (const vector of panelVectors) {
    await t.test(vector.name, async () => {
      await loadVector(page, vector);
      assertMatchesVector(await readPanel(page), vector);
    });
  }
  assertNoProblems();
});

test('mixed providers: rows, statuses, check code, screenshot', { timeout: 60000 }, async () => {
  const vector = readVector('08-mixed-providers.json');
  await loadVector(page, vector);
  const panel = await readPanel(page);
  // The antigravity login's access token has expired, but it has a refresh
  // token: it renews itself on use, so it is ok and the check is 0 (issue 12).
  assert.equal(panel.check, '0');
  assert.match(panel.checkText, /^OK/);
  assert.deepEqual(
    panel.profiles.map((p) => [p.id, p.badge]),
    [
      ['anthropic:work', '✓ ok'],
      ['google-antigravity:me@example.com', '✓ ok'],
      ['openai:default', '● static'],
    ],
  );
  assert.deepEqual(
    panel.providers.map((p) => [p.provider, p.status]),
    [
      ['anthropic', 'ok'],
      ['google-antigravity', 'ok'],
      ['openai', 'static'],
    ],
  );
  // The doctor preview lists it as renewing itself (its access token is due).
  assert.ok(panel.doctor.includes('google-antigravity:me@example.com'), 'doctor lists the login that renews itself');
  await mkdir(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  assertNoProblems();
});

test('countdowns tick from expiresAt and the check code is announced', { timeout: 60000 }, async () => {
  const vector = readVector('03-claude-code-expiring-3h.json');
  await loadVector(page, vector);
  const live = await page.locator('#check-result').getAttribute('aria-live');
  assert.equal(live, 'polite');
  const precise = () => page.locator('#profiles tr[data-profile-id="anthropic:claude-cli"] .remaining-precise').textContent();
  const before = await precise();
  await page.clock.setFixedTime(vector.now + 5000);
  await page.waitForFunction(
    (old) => document.querySelector('#profiles tr[data-profile-id="anthropic:claude-cli"] .remaining-precise').textContent !== old,
    before,
  );
  const seconds = (text) => text.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  assert.equal(seconds(before) - seconds(await precise()), 5, `countdown from ${before}`);
  assertNoProblems();
});

test('reorder with the keyboard, download, and the file carries the order', { timeout: 60000 }, async () => {
  const vector = readVector('14-cooldown-order.json');
  await loadVector(page, vector);
  let panel = await readPanel(page);
  assert.deepEqual(panel.order.anthropic.editable, ['anthropic:b', 'anthropic:a']);
  assert.equal(await page.locator('#download-store').isDisabled(), true, 'nothing to download before a change');

  const up = page.getByRole('button', { name: 'Move anthropic:a up in the anthropic order' });
  await up.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() =>
    document.querySelector('#order .order-group[data-provider="anthropic"] li')?.dataset.profileId === 'anthropic:a',
  );
  panel = await readPanel(page);
  assert.deepEqual(panel.order.anthropic.editable, ['anthropic:a', 'anthropic:b']);
  // anthropic:a is cooling down, so it is still tried last for now.
  assert.deepEqual(panel.order.anthropic.effective, ['anthropic:b', 'anthropic:a']);
  const focused = await page.evaluate(() => ({ ...document.activeElement.dataset }));
  assert.equal(focused.profileId, 'anthropic:a', 'focus stays on the moved profile');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-store')]);
  assert.equal(download.suggestedFilename(), 'auth-profiles.json');
  const saved = join(scratch, 'downloaded-auth-profiles.json');
  await download.saveAs(saved);
  const store = JSON.parse(await readFile(saved, 'utf8'));
  assert.deepEqual(store.order.anthropic, ['anthropic:a', 'anthropic:b']);
  assert.deepEqual(Object.keys(store.profiles), ['anthropic:a', 'anthropic:b']);
  assert.equal(store.profiles['anthropic:a'].key, vector.home['.clawdbot/agents/main/agent/auth-profiles.json'].profiles['anthropic:a'].key);

  // Picking the downloaded file again shows the stored order.
  await page.click('#clear-files');
  await page.setInputFiles('#file-store', saved);
  await page.waitForFunction(() => document.getElementById('file-store-state').textContent.startsWith('Loaded'));
  panel = await readPanel(page);
  assert.deepEqual(panel.order.anthropic.editable, ['anthropic:a', 'anthropic:b']);
  assertNoProblems();
});

test('files dropped on the drop zone land in the right slots', { timeout: 60000 }, async () => {
  const vector = readVector('18-model-in-use-missing.json');
  await page.click('#clear-files');
  await page.clock.setFixedTime(vector.now);
  const files = [];
  for (const { file } of await writeHome(vector)) files.push({ name: basename(file), text: await readFile(file, 'utf8') });
  const transfer = await page.evaluateHandle((list) => {
    const data = new DataTransfer();
    for (const { name, text } of list) data.items.add(new File([text], name, { type: 'application/json' }));
    return data;
  }, files);
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
  await page.waitForFunction(() => document.getElementById('file-config-state').textContent.startsWith('Loaded'));
  assert.equal(await page.locator('#file-store-state').textContent(), 'Loaded auth-profiles.json');
  assert.equal(await page.locator('#file-config-state').textContent(), 'Loaded clawdbot.json');
  assertMatchesVector(await readPanel(page), vector);
  assertNoProblems();
});

test('the page also works opened as a file', { timeout: 60000 }, async () => {
  const filePage = await context.newPage();
  watch(filePage, 'null');
  const vector = readVector('02-claude-code-valid-30d.json');
  await filePage.clock.setFixedTime(vector.now);
  await filePage.goto(pathToFileURL(join(webDir, 'index.html')).href);
  await waitReady(filePage);
  await loadVector(filePage, vector);
  assertMatchesVector(await readPanel(filePage), vector);
  await filePage.close();
  assertNoProblems();
});

// ------------------------------------------------------------------------
// What the panel used to decide for itself, and got wrong (issue 11 item 4,
// issue 14 item 22). Each of these failed on the panel that re-implemented
// the core's rules (run with PANEL_WEB_DIR pointing at such a build).

const NOW = 1767225600000;
const HOUR = 3600000;
const oauthLogin = (expires) => ({ type: 'oauth', provider: 'anthropic', access: 'a-FAKE-access', refresh: 'r-FAKE-refresh', expires });
const storeOf = (profiles, extra = {}) => ({ version: 1, profiles, ...extra });

test('a config whose default agent is not main: the store is read where the CLI reads it', { timeout: 60000 }, async () => {
  const config = { agents: { list: [{ id: 'ops', default: true }] } };
  await loadFiles(page, NOW, {
    config: ['clawdbot.json', config],
    store: ['auth-profiles.json', storeOf({ 'anthropic:a': oauthLogin(NOW + HOUR) })],
  });
  const panel = await readPanel(page);
  assert.deepEqual(panel.profiles.map((p) => p.id), ['anthropic:a'], 'the profile of agent ops shows');
  assert.equal(panel.check, '0', 'a login that renews itself is check 0, and it is found');
  const path = await page.locator('#file-store-path').textContent();
  assert.equal(path, '~/.clawdbot/agents/ops/agent/auth-profiles.json', 'the label names the path the core used');
  assertNoProblems();
});

test('an order stored under "z.ai" is the zai order', { timeout: 60000 }, async () => {
  const key = { type: 'api_key', provider: 'zai', key: 'k-FAKE-zai-key' };
  const store = storeOf({ 'zai:a': key, 'zai:b': key }, { order: { 'z.ai': ['zai:b', 'zai:a'] } });
  await loadFiles(page, NOW, { store: ['auth-profiles.json', store] });
  const panel = await readPanel(page);
  assert.deepEqual(panel.order.zai?.editable, ['zai:b', 'zai:a']);
  const note = await page.locator('#order .order-group[data-provider="zai"] .meta').first().textContent();
  assert.equal(note, 'Order set in auth-profiles.json.', 'the stored order is found');
  assertNoProblems();
});

/** The heading of the list that holds `#doctor li[data-profile-id=id]`. */
function doctorHeadingOf(target, id) {
  return target.evaluate((profileId) => {
    const item = document.querySelector(`#doctor li[data-profile-id="${CSS.escape(profileId)}"]`);
    let node = item?.parentElement;
    while (node && !(node.previousElementSibling && /^H[2-4]$/.test(node.previousElementSibling.tagName))) node = node.parentElement;
    return item ? node?.previousElementSibling?.textContent ?? '' : null;
  }, id);
}

test('an expiring login that refreshes itself is not listed under "Needs a human"', { timeout: 60000 }, async () => {
  await loadFiles(page, NOW, { store: ['auth-profiles.json', storeOf({ 'anthropic:a': oauthLogin(NOW + HOUR) })] });
  const heading = await doctorHeadingOf(page, 'anthropic:a');
  assert.ok(heading !== null, 'the doctor preview lists the expiring login');
  assert.doesNotMatch(heading, /needs a human/i, `listed under "${heading}"`);
  const item = await page.locator('#doctor li[data-profile-id="anthropic:a"]').textContent();
  assert.doesNotMatch(item, /Re-auth|Run `/, `no remedy next to a login that renews itself: ${item}`);
  // Its access token has expired, but the login renews itself: it is
  // badged ok, and the row says in words what the next request will renew.
  await loadFiles(page, NOW, { store: ['auth-profiles.json', storeOf({ 'anthropic:a': oauthLogin(NOW - HOUR) })] });
  const renewing = page.locator('#doctor li[data-profile-id="anthropic:a"]');
  const badge = await renewing.locator('.badge').first().textContent();
  assert.match(badge, /ok/, `the badge shows the login's state: ${badge}`);
  assert.match(await renewing.textContent(), /access token expired 1h ago/);
  // An expired one without a refresh token does need a human.
  const { refresh, ...spent } = oauthLogin(NOW - HOUR);
  await loadFiles(page, NOW, { store: ['auth-profiles.json', storeOf({ 'anthropic:a': spent })] });
  assert.match(await doctorHeadingOf(page, 'anthropic:a'), /needs a human/i);
  assertNoProblems();
});

test('an unreadable store shows the core diagnostics first, not "Loaded" and not "nothing needed"', { timeout: 60000 }, async () => {
  await loadFiles(page, NOW, { store: ['auth-profiles.json', '{"version": 1, "profiles": {'] });
  const state = await page.locator('#file-store-state').textContent();
  assert.doesNotMatch(state, /^Loaded/, `the store's state reads "${state}"`);
  assert.match(state, /could not be read/i);
  const first = await page.evaluate(() => {
    // The first card after the check that says anything about the files.
    const mentions = Array.from(document.querySelectorAll('main section.card')).filter((c) => c.textContent.includes('not valid JSON'));
    const providers = document.getElementById('providers').closest('section');
    return mentions.length > 0 && Boolean(mentions[0].compareDocumentPosition(providers) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  assert.ok(first, "the store's diagnostic is shown above the providers");
  const doctor = await page.locator('#doctor').textContent();
  assert.match(doctor, /auth-profiles\.json/, 'the doctor preview names the broken file');
  assert.doesNotMatch(doctor, /Nothing needs a human|Needs a human\s*Nothing/i, `the doctor box says: ${doctor}`);
  // The remedy the CLI prints as a `hint:` line is shown with the problem.
  const listed = await page.locator('#diagnostics').textContent();
  assert.match(listed, /hint: Fix the file .*never writes over it/, `the diagnostics card says: ${listed}`);
  const panel = await readPanel(page);
  assert.equal(panel.check, '1');
  assertNoProblems();
});

test('bidi overrides and control characters are shown escaped, as the CLI prints them', { timeout: 60000 }, async () => {
  const id = 'openai:\u202eevil\u001b[2J';
  const store = storeOf({ [id]: { type: 'token', provider: 'openai', token: 't-FAKE-token-value' } });
  await loadFiles(page, NOW, { store: ['auth-profiles.json', store] });
  const shown = await page.evaluate(() => {
    const main = document.querySelector('main').innerText;
    return { main, raw: /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(main) };
  });
  assert.equal(shown.raw, false, 'no control or bidi character reaches the page text');
  assert.ok(shown.main.includes('openai:\\u{202e}evil\\u{1b}[2J'), 'the id is shown as the CLI escapes it');
  const panel = await readPanel(page);
  assert.deepEqual(panel.profiles.map((p) => p.id), [id], 'the row still knows the real id');
  assertNoProblems();
});

test('the panel fits a 400 px wide screen', { timeout: 60000 }, async () => {
  await page.setViewportSize({ width: 400, height: 900 });
  try {
    const vector = readVector('08-mixed-providers.json');
    await loadVector(page, vector);
    const overflow = await page.evaluate(() => {
      const wide = Array.from(document.querySelectorAll('main section.card')).filter((card) => card.scrollWidth > card.clientWidth + 1);
      return { page: document.documentElement.scrollWidth, cards: wide.map((c) => c.querySelector('h2')?.textContent) };
    });
    await mkdir(dirname(narrowScreenshotPath), { recursive: true });
    await page.screenshot({ path: narrowScreenshotPath, fullPage: true });
    assert.ok(overflow.page <= 400, `the page is ${overflow.page} px wide`);
    assert.deepEqual(overflow.cards, [], 'cards whose content overflows');
  } finally {
    await page.setViewportSize({ width: 1280, height: 1000 });
  }
  assertNoProblems();
});

// ------------------------------------------------------------------------
// The doctor section and the order editor are the CLI's own commands, run
// by the core over the picked files (issue 20 item 6): the same home on
// disk under the real `clawdbot` must give the same verdict and the same
// bytes.

/** Writes `files` ({relative path: text}) under a fresh HOME. */
async function homeOnDisk(files) {
  const home = await mkdtemp(join(scratch, 'cli-home-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(home, rel)), { recursive: true, mode: 0o700 });
    await writeFile(join(home, rel), text, { mode: 0o600 });
  }
  return home;
}

/** Runs the CLI on `home` at NOW, without a terminal or the Keychain. */
function cli(home, args, now = NOW) {
  assert.ok(existsSync(clawdbotBin), `${clawdbotBin} is missing: cargo build -p clawdbot (or set CLAWDBOT_BIN)`);
  const env = { HOME: home, PATH: process.env.PATH, NO_COLOR: '1', CLAWDBOT_KEYCHAIN: 'off', CLAWDBOT_NOW_MS: String(now) };
  const run = spawnSync(clawdbotBin, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const STORE_PATH = '.clawdbot/agents/main/agent/auth-profiles.json';
const CONFIG_PATH = '.clawdbot/clawdbot.json';

test('the doctor section is `clawdbot doctor` itself: a config repair only the command finds', { timeout: 60000 }, async () => {
  // The login is fine, so a preview of the logins alone says nothing is
  // needed; but the config names `anthropic:default`, which the store does
  // not have, and doctor offers to repair that (exit 1 without --fix).
  const login = oauthLogin(NOW + 48 * HOUR);
  const store = JSON.stringify(storeOf({ 'anthropic:me@example.com': login }), null, 2);
  const config = JSON.stringify({ auth: { profiles: { 'anthropic:default': { provider: 'anthropic', mode: 'oauth' } } } }, null, 2);
  const home = await homeOnDisk({ [STORE_PATH]: store, [CONFIG_PATH]: config });
  const doctor = cli(home, ['doctor', '--non-interactive', '--json']);
  assert.equal(doctor.code, 1, `the CLI's doctor needs a human: ${doctor.stderr}`);
  const document = JSON.parse(doctor.stdout);
  const mismatch = document.findings.find((f) => f.checkId === 'auth/profile-id-mismatch');
  assert.ok(mismatch, `the CLI finds the mismatch: ${doctor.stdout}`);

  await loadFiles(page, NOW, { store: ['auth-profiles.json', store], config: ['clawdbot.json', config] });
  const section = await page.locator('#doctor').textContent();
  assert.doesNotMatch(section, /Nothing needs a human/, `the panel agrees with doctor's exit 1: ${section}`);
  const item = page.locator('#doctor li.finding[data-check-id="auth/profile-id-mismatch"]');
  assert.equal(await item.count(), 1, `the panel lists the repair doctor found: ${section}`);
  const text = await item.textContent();
  assert.ok(text.includes(mismatch.message), `the command's own words: ${text}`);
  assert.ok(text.includes(`fix: ${mismatch.fixHint}`), text);
  // And a home doctor is happy with reads "Nothing needs a human" in both.
  const healthy = JSON.stringify(storeOf({ 'anthropic:me@example.com': login }), null, 2);
  assert.equal(cli(await homeOnDisk({ [STORE_PATH]: healthy }), ['doctor', '--non-interactive', '--json']).code, 0);
  await loadFiles(page, NOW, { store: ['auth-profiles.json', healthy] });
  assert.match(await page.locator('#doctor').textContent(), /Nothing needs a human/);
  assertNoProblems();
});

test('a move downloads the very store `clawdbot models auth order set` writes', { timeout: 60000 }, async () => {
  const vector = readVector('14-cooldown-order.json');
  const storeText = JSON.stringify(vector.home[STORE_PATH], null, 2);
  await loadFiles(page, vector.now, { store: ['auth-profiles.json', storeText] });
  await page.getByRole('button', { name: 'Move anthropic:a up in the anthropic order' }).click();
  await page.waitForFunction(() => !document.getElementById('download-store').disabled);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-store')]);
  const saved = join(scratch, 'moved-auth-profiles.json');
  await download.saveAs(saved);
  const downloaded = await readFile(saved, 'utf8');

  const home = await homeOnDisk({ [STORE_PATH]: storeText });
  const set = cli(home, ['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:a', 'anthropic:b'], vector.now);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(downloaded, await readFile(join(home, STORE_PATH), 'utf8'), 'byte for byte the file the CLI wrote');
  assertNoProblems();
});

test('a 60 000-profile store is computed once per refresh', { timeout: 300000 }, async () => {
  const home = join(scratch, 'big-home');
  await new Promise((resolveRun, reject) => {
    const child = spawn('python3', [join(root, 'scripts/gen-home.py'), home, '60000'], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`gen-home.py exited with ${code}`))));
  });
  await page.click('#clear-files');
  await page.clock.setFixedTime(NOW);
  const started = Date.now();
  await pick(page, 'store', join(home, '.clawdbot/agents/main/agent/auth-profiles.json'));
  const picked = Date.now() - started;
  console.log(`# 60000 profiles: from picking the file to the page showing it: ${picked} ms`);
  const stats = await page.evaluate(() => window.clawdbotPanel.stats && { ...window.clawdbotPanel.stats });
  assert.ok(stats, 'the panel reports its refresh statistics');
  assert.equal(stats.coreCallsLastRefresh, 1, 'one core call per refresh');
  const rows = await page.locator('#profiles tbody tr').count();
  console.log(
    `# 60000 profiles: core call + JSON ${stats.computeMs.toFixed(0)} ms, render ${stats.renderMs.toFixed(0)} ms, ` +
      `${rows} profile rows in the page`,
  );
  const panel = await readPanel(page);
  // What is in use (anthropic, the default model's provider) has usable
  // credentials; the expired spares are warnings, not the check code.
  assert.equal(panel.check, '0');
  // The minute re-check refreshes once more, again with one call.
  await page.clock.setFixedTime(NOW + 61000);
  await page.waitForFunction((before) => window.clawdbotPanel.stats.refreshes > before, stats.refreshes, { timeout: 60000 });
  const again = await page.evaluate(() => ({ ...window.clawdbotPanel.stats }));
  assert.equal(again.coreCallsLastRefresh, 1);
  console.log(`# 60000 profiles, minute re-check: core call + JSON ${again.computeMs.toFixed(0)} ms, render ${again.renderMs.toFixed(0)} ms`);
  await page.click('#clear-files');
  assertNoProblems();
});

/** 450 OpenAI profiles, every 90th (from the second) an expired token:
 * three pages of the profile table, the problems first. */
function threePages() {
  const profiles = {};
  for (let i = 0; i < 450; i += 1) {
    const id = `openai:key-${String(i).padStart(3, '0')}`;
    profiles[id] = i % 90 === 1
      ? { type: 'token', provider: 'openai', token: `sk-FAKE-token-${i}-0123456789`, expires: NOW - 2 * HOUR }
      : { type: 'api_key', provider: 'openai', key: `sk-FAKE-key-${i}-0123456789abcdef` };
  }
  return profiles;
}

test('the profile table is paged by the core: 200 rows a page, first to last, a filter starts again', { timeout: 120000 }, async () => {
  // 450 API keys, 5 of them expired tokens: three pages, the problems first.
  const profiles = threePages();
  await loadFiles(page, NOW, { store: ['auth-profiles.json', { version: 1, profiles }] });
  const table = async () =>
    page.evaluate(() => ({
      ids: Array.from(document.querySelectorAll('#profiles tbody tr'), (tr) => tr.dataset.profileId),
      rows: document.querySelector('#profiles .pager-rows')?.textContent.trim() ?? null,
      disabled: Object.fromEntries(
        Array.from(document.querySelectorAll('#profiles .pager button'), (b) => [b.dataset.page, b.disabled]),
      ),
    }));
  const go = async (which) => {
    const before = await page.evaluate(() => window.clawdbotPanel.stats.refreshes);
    await page.click(`#profiles .pager button[data-page="${which}"]`);
    await page.waitForFunction((n) => window.clawdbotPanel.stats.refreshes > n, before);
    return table();
  };
  const first = await table();
  assert.equal(first.ids.length, 200);
  assert.equal(first.rows, 'Profiles 1–200 of 450');
  assert.deepEqual(first.disabled, { first: true, previous: true, next: false, last: false });
  assert.ok(first.ids.slice(0, 5).every((id) => [1, 91, 181, 271, 361].includes(Number(id.slice(-3)))), `problems first: ${first.ids.slice(0, 5)}`);
  const second = await go('next');
  assert.equal(second.rows, 'Profiles 201–400 of 450');
  assert.equal(second.ids.length, 200);
  assert.ok(second.ids.every((id) => !first.ids.includes(id)), 'the next page holds other profiles');
  const last = await go('last');
  assert.equal(last.rows, 'Profiles 401–450 of 450');
  assert.deepEqual(last.disabled, { first: false, previous: false, next: true, last: true });
  const seen = new Set([...first.ids, ...second.ids, ...last.ids]);
  assert.equal(seen.size, 450, 'the three pages hold every profile once');
  assert.equal((await go('previous')).rows, 'Profiles 201–400 of 450');
  // A filter lists from its first row again; one page needs no pager.
  await page.click('#profile-filter button[data-only="expired"]');
  await page.waitForFunction(() => document.querySelectorAll('#profiles tbody tr').length === 5);
  assert.equal((await table()).rows, null, 'no pager for 5 rows');
  await page.click('#profile-filter button[data-only="all"]');
  await page.waitForFunction(() => document.querySelector('#profiles .pager-rows')?.textContent.startsWith('Profiles 1–200'));
  assert.equal(await page.locator('#profiles .more button', { hasText: 'Show all' }).count(), 0, 'no "Show all"');
  assertNoProblems();
});

test('pages and a move are cut from the files the page keeps: the rows a fresh view gives', { timeout: 120000 }, async () => {
  // What the envelope answers in one whole request (the Node build of the same module).
  const { handle } = createRequire(import.meta.url)(join(root, 'dist/node/clawdbot_auth_wasm.js'));
  const profiles = threePages();
  const store = { version: 1, profiles, order: { openai: ['openai:key-002', 'openai:key-003', 'openai:key-004'] } };
  const config = { agents: { defaults: { model: { primary: 'openai/gpt-5' } } } };
  const files = (storeText) => ({ config: JSON.stringify(config, null, 2), store: storeText });
  const view = (storeText, from) =>
    JSON.parse(handle(JSON.stringify({ op: 'view', now: NOW, env: {}, files: files(storeText), rows: 200, from, only: 'all', text: false }))).view;
  const rowsOf = (v) => v.profiles.rows.map((p) => [p.profile.id, p.role ?? null]);
  const drawn = () =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('#profiles tbody tr'), (tr) => [tr.dataset.profileId, tr.querySelector('.role')?.textContent ?? null]),
    );
  const refreshed = async (action) => {
    const before = await page.evaluate(() => window.clawdbotPanel.stats.refreshes);
    await action();
    await page.waitForFunction((n) => window.clawdbotPanel.stats.refreshes > n, before);
  };
  const storeText = JSON.stringify(store, null, 2);
  await loadFiles(page, NOW, { config: ['clawdbot.json', config], store: ['auth-profiles.json', storeText] });
  const opened = await page.evaluate(() => window.clawdbotPanel.stats.sessionsOpened);
  assert.ok(opened >= 1, `the picks opened the core's session over the files (${opened})`);
  assert.deepEqual(await drawn(), rowsOf(view(storeText, 0)));
  assert.ok((await drawn()).some(([id, role]) => id === 'openai:key-002' && role === 'in use'), 'the stored order decides');
  await refreshed(() => page.click('#profiles .pager button[data-page="next"]'));
  assert.deepEqual(await drawn(), rowsOf(view(storeText, 200)), 'the second page');

  // The move, from the second page: the page stays there, drawn from the store the move wrote.
  await refreshed(() => page.getByRole('button', { name: 'Move openai:key-002 down in the openai order' }).click());
  const moved = JSON.parse(
    handle(JSON.stringify({ op: 'moveInOrder', now: NOW, env: {}, files: files(storeText), provider: 'openai', profileId: 'openai:key-002', by: 1 })),
  ).storeText;
  assert.deepEqual(JSON.parse(moved).order.openai, ['openai:key-003', 'openai:key-002', 'openai:key-004']);
  assert.deepEqual(await drawn(), rowsOf(view(moved, 200)), 'the second page of the store written');
  const orderShown = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#order li'), (li) => li.querySelector('button.move')?.dataset.profileId).filter(Boolean),
  );
  assert.deepEqual(orderShown.slice(0, 3), ['openai:key-003', 'openai:key-002', 'openai:key-004']);
  await refreshed(() => page.click('#profiles .pager button[data-page="first"]'));
  const first = await drawn();
  assert.deepEqual(first, rowsOf(view(moved, 0)), 'the first page of the store written');
  assert.ok(first.some(([id, role]) => id === 'openai:key-003' && role === 'in use'), 'the moved order decides');
  assert.equal(
    await page.evaluate(() => window.clawdbotPanel.stats.sessionsOpened),
    opened,
    'the files were opened once: pages and the move reuse what the core kept',
  );
  assertNoProblems();
});

test('the text output is the CLI text, fetched when it is opened', { timeout: 60000 }, async () => {
  const vector = readVector('08-mixed-providers.json');
  await loadVector(page, vector);
  assert.equal(await page.locator('#status-text').textContent(), '', 'not computed while closed');
  await page.click('summary');
  await page.waitForFunction(() => document.getElementById('status-text').textContent.includes('OAuth/token status'));
  const text = await page.locator('#status-text').textContent();
  assert.match(text, /^Config {8}: ~\/\.clawdbot\/clawdbot\.json$/m);
  // A login with a refresh token renews itself: ok, whatever its access token.
  assert.match(text, /google-antigravity:me@example\.com \(me@example\.com\) ok, refreshes on use \(access token expired 5m ago\)/);
  await page.click('summary');
  assertNoProblems();
});

test('the profile table says what `models auth list` says: reason, back-off and the fix', { timeout: 60000 }, async () => {
  const store = {
    version: 1,
    profiles: { 'anthropic:tok': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-FAKE-0123456789abcdefghijklmnop', expires: NOW + 30 * 86400000 } },
    usageStats: { 'anthropic:tok': { cooldownUntil: NOW + 600000, failureCounts: { rate_limit: 2 }, errorCount: 2 } },
  };
  await loadFiles(page, NOW, { store: ['auth-profiles.json', store] });
  const cells = await page.evaluate(() => {
    const row = document.querySelector('#profiles tbody tr[data-profile-id="anthropic:tok"]');
    const cell = (label) => row?.querySelector(`td[data-label="${label}"]`)?.textContent ?? null;
    return { reason: cell('Reason'), backoff: cell('Back-off'), fix: cell('Fix') };
  });
  assert.deepEqual(cells, {
    reason: 'cooldown',
    backoff: 'cooldown until 2026-01-01T00:10:00Z (rate_limit)',
    fix: 'Wait for the cooldown to end, or run `clawdbot models auth cooldown clear anthropic:tok` once the cause is gone.',
  });
  assertNoProblems();
});

test('a legacy auth.json next to a store says it is not used', { timeout: 60000 }, async () => {
  const legacy = { anthropic: { type: 'api_key', key: 'sk-ant-FAKE-legacy-key' } };
  await loadFiles(page, NOW, { store: ['auth-profiles.json', storeOf({})], legacyStore: ['auth.json', legacy] });
  assert.match(await page.locator('#file-legacyStore-state').textContent(), /not used/);
  await loadFiles(page, NOW, { legacyStore: ['auth.json', legacy] });
  assert.equal(await page.locator('#file-legacyStore-state').textContent(), 'Loaded auth.json');
  assert.deepEqual((await readPanel(page)).profiles.map((p) => p.id), ['anthropic:default'], 'migrated as the CLI would');
  assertNoProblems();
});
