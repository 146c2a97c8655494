// `clawdbot panel` in headless Chromium (issue 28): the real binary serves
// the panel from a temporary HOME; the browser opens the link it printed,
// sees the status, moves an order, clears a cooldown, pastes a key and
// removes a profile. After each step the store and the config must be
// exactly what the CLI writes when it runs the same command on a copy of
// the HOME as it was before the step. Screenshots at 1280 and 400 px go to
// target/panel-live.png and target/panel-live-400px.png.
//
// Run: (cd host-wasm/browser-test && npm ci && node --test live.test.mjs),
// after `cargo build -p clawdbot` (or with CLAWDBOT_BIN). CHROMIUM overrides
// the browser (default /usr/bin/chromium).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const clawdbotBin =
  process.env.CLAWDBOT_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug/clawdbot');
const shots = join(process.env.CARGO_TARGET_DIR || join(root, 'target'));

/** The pinned clock of the server, the CLI and the page: 2026-01-01. */
const NOW = 1767225600000;
const HOUR = 3600000;
const DAY = 24 * HOUR;
/** Secrets whose middles no mask shows: none may reach the page. */
const CANARIES = ['CANARYWORK', 'CANARYSPARE', 'CANARYROUTER', 'CANARYMANUAL', 'CANARYCLAUDE', 'CANARYPASTED'];

const STORE = '.clawdbot/agents/main/agent/auth-profiles.json';
const CONFIG = '.clawdbot/clawdbot.json';

let scratch;
let home;
let panel;
let context;
let page;
let origin;
const problems = [];
const bodies = []; // every API answer the page received

/** The small home: a Claude Code login, a Codex login, three API
 * keys (one in a rate-limit cooldown), one token expired two days ago, a
 * default model with a fallback. */
async function writeSmallHome(dir) {
  const files = {
    [STORE]: {
      version: 1,
      profiles: {
        'anthropic:manual': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-FAKE-CANARYMANUAL-0123456789', expires: NOW - 2 * DAY },
        'openai:work': { type: 'api_key', provider: 'openai', key: 'sk-FAKE-work-0123456789-CANARYWORK-abcdefgh' },
        'openai:spare': { type: 'api_key', provider: 'openai', key: 'sk-FAKE-spare-0123456789-CANARYSPARE-abcdefgh' },
        'openrouter:default': { type: 'api_key', provider: 'openrouter', key: 'sk-or-FAKE-0123456789-CANARYROUTER-abcdefgh' },
      },
      order: { openai: ['openai:work', 'openai:spare'] },
      usageStats: {
        'openai:work': { cooldownUntil: NOW + 12 * 60000, errorCount: 1, failureCounts: { rate_limit: 1 }, lastFailureAt: NOW - 60000 },
      },
    },
    [CONFIG]: { agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-5', fallbacks: ['openai/gpt-5'] } } } },
    '.claude/.credentials.json': {
      claudeAiOauth: {
        accessToken: 'sk-ant-oat01-FAKE-CANARYCLAUDE-0123456789',
        refreshToken: 'sk-ant-ort01-FAKE-CANARYCLAUDE-0123456789',
        expiresAt: NOW + 8 * HOUR,
        scopes: ['user:inference'],
      },
    },
    '.codex/auth.json': {
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: {
        id_token: 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJlbWFpbCI6InVzZXJAZXhhbXBsZS5pbnZhbGlkIn0.FAKESIG',
        access_token:
          'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjE3NjgwODk2MDAsImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X2FjY291bnRfaWQiOiJhY2N0LUZBS0UifX0.FAKESIG',
        refresh_token: 'rt_FAKEFAKEFAKE',
        account_id: 'acct-FAKE',
      },
      last_refresh: '2025-12-31T00:00:00Z',
    },
  };
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, JSON.stringify(content, null, 2), { mode: 0o600 });
  }
}

/** The environment every run gets: nothing of ours but PATH. */
function envFor(dir) {
  return {
    HOME: dir,
    PATH: process.env.PATH,
    CLAWDBOT_NOW_MS: String(NOW),
    CLAWDBOT_KEYCHAIN: 'off',
    NO_COLOR: '1',
    USER: 'tester',
  };
}

/** Starts `clawdbot panel` and reads the link it prints. */
function startPanel(dir) {
  const child = spawn(clawdbotBin, ['panel', '--port', '0', '--no-open'], { env: envFor(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolveLink, reject) => {
    const timer = setTimeout(() => reject(new Error(`no link within 120 s: ${stderr}`)), 120000);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64})/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolveLink({ child, link: match[1], stderr: () => stderr });
      }
    });
    child.once('exit', (code) => reject(new Error(`clawdbot panel exited with ${code}: ${stderr}`)));
  });
}

/** Runs the CLI on a copy of the HOME as it is now; the files it leaves. */
async function cliOnCopy(args, input = '') {
  const copy = await mkdtemp(join(scratch, 'cli-'));
  for (const folder of ['.clawdbot', '.claude', '.codex']) {
    if (existsSync(join(home, folder))) await cp(join(home, folder), join(copy, folder), { recursive: true });
  }
  const run = spawnSync(clawdbotBin, args, { env: envFor(copy), input, encoding: 'utf8', timeout: 120000 });
  assert.equal(run.status, 0, `clawdbot ${args.join(' ')}: ${run.stderr}`);
  return filesOf(copy);
}

async function filesOf(dir) {
  const read = (rel) => readFile(join(dir, rel), 'utf8').catch(() => null);
  return { store: await read(STORE), config: await read(CONFIG) };
}

/** Runs `action`, then waits until the page drew the view it read after
 * the verb; the verb's last answer (after any question asked in the page). */
async function afterVerb(action) {
  const before = await page.evaluate(() => window.clawdbotPanel.stats.refreshes);
  const answers = [];
  const listen = (r) => {
    if (r.url().endsWith('/api/verb')) answers.push(r.json());
  };
  page.on('response', listen);
  await action();
  await page.waitForFunction(
    (b) => window.clawdbotPanel.stats.refreshes > b && !document.getElementById('verb-result').hidden,
    before,
    { timeout: 60000 },
  );
  page.off('response', listen);
  return (await Promise.all(answers)).at(-1);
}

before(async () => {
  if (!existsSync(clawdbotBin)) throw new Error(`${clawdbotBin} is missing: cargo build -p clawdbot (or set CLAWDBOT_BIN)`);
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing: apt-get install -y chromium (or set CHROMIUM)`);
  scratch = await mkdtemp(join(tmpdir(), 'clawdbot-live-'));
  home = join(scratch, 'home');
  await writeSmallHome(home);
  panel = await startPanel(home);
  origin = new URL(panel.link).origin;
  context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) problems.push(`request left the page: ${r.url()}`);
  });
  page.on('response', async (r) => {
    if (r.url().includes('/api/')) bodies.push(await r.text().catch(() => ''));
  });
  await page.clock.setFixedTime(NOW);
});

after(async () => {
  await context?.close();
  panel?.child.kill();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test('the printed link signs in and the page shows this host live', { timeout: 120000 }, async () => {
  await page.goto(panel.link);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });
  assert.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar');
  assert.equal(await page.locator('#files-card').isHidden(), true, 'no file inputs on the live page');
  assert.equal(await page.locator('#live').isVisible(), true);
  const providers = await page.$$eval('#providers tbody tr', (rows) => rows.map((r) => r.dataset.provider));
  for (const provider of ['anthropic', 'openai', 'openai-codex', 'openrouter']) {
    assert.ok(providers.includes(provider), `${provider} in ${providers}`);
  }
  const profiles = await page.$$eval('#profiles tbody tr', (rows) => rows.map((r) => r.dataset.profileId));
  assert.ok(profiles.includes('anthropic:claude-cli') && profiles.includes('openai-codex:codex-cli'), `${profiles}`);
  const cooldowns = await page.$$eval('#cooldowns tbody tr', (rows) => rows.map((r) => r.dataset.profileId));
  assert.deepEqual(cooldowns, ['openai:work']);
  // The same link again: used, but this browser is signed in.
  const again = await fetch(`${origin}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: origin },
    body: JSON.stringify({ token: panel.link.split('#token=')[1] }),
  });
  assert.equal(again.status, 403, 'the token is good once');
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: join(shots, 'panel-live.png'), fullPage: true });
  await page.setViewportSize({ width: 400, height: 900 });
  await page.screenshot({ path: join(shots, 'panel-live-400px.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways at 400 px by ${overflow} px`);
  await page.setViewportSize({ width: 1280, height: 1000 });
});

test('moving an order writes what `order set` writes', { timeout: 120000 }, async () => {
  const cli = await cliOnCopy(['models', 'auth', 'order', 'set', '--provider', 'openai', 'openai:spare', 'openai:work']);
  const answer = await afterVerb(() =>
    page.click('#order .order-group[data-provider="openai"] li[data-profile-id="openai:spare"] button[data-move="up"]'),
  );
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.deepEqual(await filesOf(home), cli);
  const editable = await page.$$eval('#order .order-group[data-provider="openai"] li', (li) => li.map((l) => l.dataset.profileId));
  assert.deepEqual(editable, ['openai:spare', 'openai:work'], 'the page shows the new order');
});

test('clearing a cooldown writes what `cooldown clear` writes', { timeout: 120000 }, async () => {
  const cli = await cliOnCopy(['models', 'auth', 'cooldown', 'clear', 'openai:work']);
  const answer = await afterVerb(() => page.click('#cooldowns tr[data-profile-id="openai:work"] button[data-verb="cooldownClear"]'));
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.deepEqual(await filesOf(home), cli);
  assert.equal(await page.locator('#cooldowns tbody tr').count(), 0, 'no cooldown left');
});

test('pasting a key writes what `paste-api-key` writes, and the key is sent once', { timeout: 120000 }, async () => {
  const key = 'gsk_FAKE-0123456789-CANARYPASTED-abcdefgh';
  const cli = await cliOnCopy(['models', 'auth', 'paste-api-key', '--provider', 'groq'], key);
  const sent = [];
  const watch = (r) => r.url().endsWith('/api/verb') && sent.push(r.postData() || '');
  page.on('request', watch);
  await page.fill('#add-provider', 'groq');
  await page.selectOption('#add-kind', 'pasteKey');
  await page.fill('#add-secret', key);
  const answer = await afterVerb(() => page.click('#add-form button[type=submit]'));
  page.off('request', watch);
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.deepEqual(await filesOf(home), cli);
  assert.equal(sent.filter((body) => body.includes('CANARYPASTED')).length, 1, 'the key crossed once');
  assert.equal(await page.inputValue('#add-secret'), '', 'the field is emptied');
});

test('removing a profile asks what the CLI asks, then writes what `remove --yes` writes', { timeout: 120000 }, async () => {
  const cli = await cliOnCopy(['models', 'auth', 'remove', 'openrouter:default', '--yes']);
  let question = null;
  page.once('dialog', async (dialog) => {
    question = dialog.message();
    await dialog.accept();
  });
  const answer = await afterVerb(() => page.click('#profiles tr[data-profile-id="openrouter:default"] button[data-verb="remove"]'));
  assert.equal(question, 'Remove openrouter:default?');
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.deepEqual(await filesOf(home), cli);
});

test('no secret reached the page, nothing left its origin, no console error', async () => {
  for (const body of bodies) {
    for (const canary of CANARIES) assert.ok(!body.includes(canary), `an answer held ${canary}`);
  }
  const text = await page.evaluate(() => document.documentElement.outerHTML);
  for (const canary of CANARIES) assert.ok(!text.includes(canary), `the page holds ${canary}`);
  assert.deepEqual(problems, []);
  assert.ok(!panel.stderr().includes(panel.link.split('#token=')[1]), 'the token is in no log');
});
