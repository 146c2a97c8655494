// The store lock against the real thing: the reference gateway locks
// auth-profiles.json with the npm package proper-lockfile (options of its
// AUTH_STORE_LOCK_OPTIONS), and our `clawdbot` must serialise with it both
// ways, and take over a stale lock as it does.
//
// Needs the CLI built (`cargo build -p clawdbot`, done by scripts/test.sh
// before this runs); CLAWDBOT_BIN may point at another binary.
//
// Run: node --test lockfile-interop.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = process.env.CLAWDBOT_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug/clawdbot');
const STORE_REL = '.clawdbot/agents/main/agent/auth-profiles.json';
const NOW = 1767225600000; // 2026-01-01T00:00:00Z
/** A hang guard for each child, not a speed target. */
const CHILD_LIMIT_MS = 120_000;

/** The reference's AUTH_STORE_LOCK_OPTIONS (spec §2.3). */
const GATEWAY_LOCK = {
  retries: { retries: 10, factor: 2, minTimeout: 100, maxTimeout: 10_000, randomize: true },
  stale: 30_000,
};

if (!existsSync(bin)) {
  throw new Error(`${bin} does not exist: build the CLI first (cargo build -p clawdbot) or set CLAWDBOT_BIN`);
}

const apiKey = (k) => ({ type: 'api_key', provider: 'anthropic', key: k });

/** A throw-away HOME holding a store of `profiles`. */
function makeHome(profiles) {
  const home = mkdtempSync(join(tmpdir(), 'clawdbot-lockfile-'));
  const store = join(home, STORE_REL);
  mkdirSync(dirname(store), { recursive: true, mode: 0o700 });
  writeFileSync(store, JSON.stringify({ version: 1, profiles }, null, 2), { mode: 0o600 });
  return { home, store, read: () => JSON.parse(readFileSync(store, 'utf8')), cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Starts `clawdbot args...` on `home`; resolves to {code, stdout, stderr}. */
function clawdbot(home, args, extraEnv = {}) {
  const child = spawn(bin, args, {
    env: {
      HOME: home,
      PATH: process.env.PATH,
      NO_COLOR: '1',
      CLAWDBOT_KEYCHAIN: 'off',
      CLAWDBOT_NOW_MS: String(NOW),
      CLAWDBOT_LOCK_WAIT_MS: '60000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolveRun, reject) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`clawdbot ${args.join(' ')} hung: killed after ${CHILD_LIMIT_MS} ms`));
    }, CHILD_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolveRun({ code, stdout, stderr });
    });
  });
  return { child, done };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` until it holds; a hang guard, not a timing assertion. */
async function until(predicate, what) {
  for (let waited = 0; waited < CHILD_LIMIT_MS; waited += 20) {
    if (await predicate()) return;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('a gateway holding the store lock makes `order set` wait, and neither change is lost', async () => {
  const h = makeHome({ 'anthropic:a': apiKey('sk-ant-api03-FAKE-a'), 'anthropic:b': apiKey('sk-ant-api03-FAKE-b') });
  try {
    // The gateway takes the lock and reads the store, as its locked update does...
    const release = await lockfile.lock(h.store, GATEWAY_LOCK);
    const seen = h.read();
    const run = clawdbot(h.home, ['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:b', 'anthropic:a']);
    // ...works a while (our writer, were it to ignore the lock, would write
    // now and be overwritten from the snapshot below)...
    await sleep(1500);
    const waited = run.child.exitCode === null;
    // ...then writes from what it read under the lock, and releases.
    seen.profiles['anthropic:gateway'] = apiKey('sk-ant-api03-FAKE-gateway');
    writeFileSync(h.store, JSON.stringify(seen, null, 2));
    await release();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(waited, 'order set finished while the gateway held the lock');
    const after = h.read();
    assert.ok(after.profiles['anthropic:gateway'], "the gateway's profile survived our write");
    assert.deepEqual(after.order?.anthropic, ['anthropic:b', 'anthropic:a'], 'our order was written');
    assert.ok(!existsSync(`${h.store}.lock`), 'no lock left behind');
  } finally {
    h.cleanup();
  }
});

test('our held lock makes proper-lockfile retry until we are done', async () => {
  // A refresh that holds the store lock while the token endpoint is slow.
  let requests = 0;
  let answer;
  const answered = new Promise((r) => (answer = r));
  const server = createServer((req, res) => {
    requests += 1;
    req.resume();
    req.on('end', async () => {
      await answered;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'sk-ant-oat01-FAKE-new-access', refresh_token: 'sk-ant-ort01-FAKE-new-refresh', expires_in: 28800 }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/v1/oauth/token`;
  const oauth = { type: 'oauth', provider: 'anthropic', access: 'sk-ant-oat01-FAKE-old', refresh: 'sk-ant-ort01-FAKE-old', expires: NOW - 60_000 };
  const h = makeHome({ 'anthropic:work': oauth });
  try {
    const run = clawdbot(h.home, ['models', 'auth', 'refresh', '--profile', 'anthropic:work'], {
      CLAWDBOT_TOKEN_URL_ANTHROPIC: url,
      CLAWDBOT_HTTP_TIMEOUT_MS: '60000',
    });
    // Our refresh sends its request only holding the store lock.
    await until(() => requests > 0, 'the refresh request');
    assert.equal(await lockfile.check(h.store, { stale: GATEWAY_LOCK.stale }), true, 'proper-lockfile sees our lock');
    let gatewayHolds = false;
    const gateway = lockfile.lock(h.store, GATEWAY_LOCK).then((release) => {
      gatewayHolds = true;
      return release;
    });
    await sleep(500);
    assert.equal(gatewayHolds, false, 'proper-lockfile took the lock we hold');
    answer();
    const release = await gateway;
    // The gateway got the lock only after our refresh was on disk.
    assert.equal(h.read().profiles['anthropic:work'].access, 'sk-ant-oat01-FAKE-new-access', 'our write came first');
    await release();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(requests, 1, 'one token request');
  } finally {
    server.close();
    h.cleanup();
  }
});

test('a stale lock (mtime older than 30 s) is taken over by both sides', async () => {
  const h = makeHome({ 'anthropic:a': apiKey('sk-ant-api03-FAKE-a') });
  const lockDir = `${h.store}.lock`;
  const backdate = () => {
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockDir, old, old);
  };
  try {
    // A dead gateway's lock: we take it over.
    const dead = await lockfile.lock(h.store, { ...GATEWAY_LOCK, onCompromised: () => {} });
    backdate();
    const ours = await clawdbot(h.home, ['models', 'auth', 'order', 'set', '--provider', 'anthropic', 'anthropic:a']).done;
    assert.equal(ours.code, 0, ours.stderr);
    assert.deepEqual(h.read().order?.anthropic, ['anthropic:a']);
    assert.ok(!existsSync(lockDir), 'we removed the lock we took over');
    await dead().catch(() => {}); // its owner is "dead": the lock is no longer its

    // A dead clawdbot's lock: a refresh killed while it held the lock.
    const server = createServer(() => {}); // never answers
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    writeFileSync(h.store, JSON.stringify({ version: 1, profiles: { 'anthropic:work': { type: 'oauth', provider: 'anthropic', access: 'sk-ant-oat01-FAKE-old', refresh: 'sk-ant-ort01-FAKE-old', expires: NOW - 60_000 } } }));
    const run = clawdbot(h.home, ['models', 'auth', 'refresh', '--profile', 'anthropic:work'], {
      CLAWDBOT_TOKEN_URL_ANTHROPIC: `http://127.0.0.1:${server.address().port}/v1/oauth/token`,
      CLAWDBOT_HTTP_TIMEOUT_MS: '60000',
    });
    await until(() => existsSync(lockDir), 'our lock');
    run.child.kill('SIGKILL');
    await run.done;
    server.close();
    assert.ok(existsSync(lockDir), 'the killed process left its lock');
    backdate();
    const release = await lockfile.lock(h.store, { ...GATEWAY_LOCK, retries: 0 });
    await release();
    assert.ok(!existsSync(lockDir));
  } finally {
    h.cleanup();
  }
});
