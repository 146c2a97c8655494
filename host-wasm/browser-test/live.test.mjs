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
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CANARIES, CONFIG, NOW, STORE, clawdbotBin, envFor, root, startPanel, writeSmallHome } from './live-home.mjs';

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(process.env.CARGO_TARGET_DIR || join(root, 'target'));

let scratch;
let home;
let panel;
let context;
let page;
let origin;
const problems = [];
const bodies = []; // every API answer the page received

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
  // At a glance (item 1): what requests use and why, in the CLI's words;
  // spares marked; the CLI's warnings, the models; problems first.
  const usedNow = await page.$eval('#providers tr[data-provider="anthropic"] td.used-now', (td) => td.textContent);
  assert.match(usedNow, /ok\s*anthropic:claude-cli\s*ok, refreshes on use \(access token expires in 8h\)/);
  assert.match(await page.$eval('#providers tr[data-provider="openai"] td.used-now', (td) => td.textContent), /openai:spare/);
  assert.equal(await page.textContent('#check-code'), '0', 'the check and the providers agree');
  assert.match(await page.textContent('#warnings'), /anthropic:manual is expired; requests use another credential/);
  assert.match(await page.textContent('#models'), /anthropic\/claude-opus-4-5.*fallbacks.*openai\/gpt-5/s);
  const rows = await page.$$eval('#profiles tbody tr', (trs) =>
    trs.map((tr) => [tr.dataset.profileId, tr.querySelector('.role')?.textContent ?? '', tr.querySelector('.words').textContent]),
  );
  assert.deepEqual(rows.slice(0, 2), [
    ['anthropic:manual', 'spare', 'expired 2d ago'],
    ['openai:work', 'spare', 'cooldown for 12m (rate_limit); static'],
  ]);
  assert.deepEqual(rows.find((r) => r[0] === 'anthropic:claude-cli').slice(1), ['in use', 'ok, refreshes on use (access token expires in 8h)']);
  const main = await page.textContent('main');
  assert.ok(!main.includes('0m now') && !main.includes('0mnow'), 'an expired token is not "0m now"');
  assert.doesNotMatch(main, /\bnull\b|\bundefined\b|\[object /, 'no value drawn as JavaScript text');
  // The counts filter, made by the core: problems only, then all again.
  await page.click('#profile-filter button[data-only="problems"]');
  await page.waitForFunction(() => document.querySelectorAll('#profiles tbody tr').length === 2);
  await page.click('#profile-filter button[data-only="all"]');
  await page.waitForFunction(() => document.querySelectorAll('#profiles tbody tr').length === 6);
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
