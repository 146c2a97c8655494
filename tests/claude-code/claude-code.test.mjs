// The real Claude Code 2.1.332 (the published linux-x64 binary, pinned in
// package.json) against what `clawdbot` writes and the locks it takes:
//
// - `claude auth status --json` reads the .credentials.json our refresh
//   wrote back (logged in, subscription, plan and sign-in end kept), in
//   ~/.claude and in a CLAUDE_SECURESTORAGE_CONFIG_DIR folder, and what our
//   sync left behind;
// - our locks are the ones it honours: while our refresh waits on the
//   network, proper-lockfile with Claude Code's exact options (read in its
//   binary: the binary cannot be made to refresh offline, its OAuth URL
//   override takes only approved hosts) cannot take either refresh lock,
//   and the owner record is what Claude Code computes for this process; the
//   reverse, its locks held, makes our refresh and our write-back wait; and
//   our held write lock makes the real `claude auth logout` wait before it
//   deletes the file.
//
// Every `claude` runs offline: a temporary HOME, its proxies pointed at a
// closed port, non-essential traffic off. Needs the CLI built
// (`cargo build -p clawdbot`; CLAWDBOT_BIN may point at another binary) and
// `npm ci` here; scripts/test-claude.sh does both.
//
// Run: node --test claude-code.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = process.env.CLAWDBOT_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug/clawdbot');
const claudeBin = process.env.CLAUDE_BIN || join(here, 'node_modules/@anthropic-ai/claude-code-linux-x64/claude');
/** A hang guard for each child, not a speed target. */
const CHILD_LIMIT_MS = 120_000;
const PROFILE = 'anthropic:claude-cli';
const OLD = { access: 'sk-ant-oat01-OLD-FAKE', refresh: 'sk-ant-ort01-OLD-FAKE' };
const NEW = { access: 'sk-ant-oat01-NEW-FAKE', refresh: 'sk-ant-ort01-NEW-FAKE' };
const DAY = 86_400_000;

/** Claude Code 2.1.332's refresh-lock options (its `JBo`). */
const refreshLockOptions = (lockfilePath) => ({
  lockfilePath, realpath: false, stale: 60_000, update: 5_000, onCompromised: () => {},
});
/** Its write lock: `lock(<dir>/.storage-write, ...)` (its `v7t`). */
const WRITE_LOCK_OPTIONS = {
  realpath: false, retries: { retries: 10, minTimeout: 100, maxTimeout: 1_000 }, stale: 15_000, onCompromised: () => {},
};

for (const [what, path] of [['clawdbot', bin], ['claude', claudeBin]]) {
  if (!existsSync(path)) throw new Error(`${path} does not exist: run scripts/test-claude.sh (${what})`);
}

/** A throw-away HOME with Claude Code's login in `storage` (default ~/.claude). */
function makeHome({ expiresAt, secure = false }) {
  const home = mkdtempSync(join(tmpdir(), 'clawdbot-claude-'));
  const dir = secure ? join(home, 'vault', 'claude') : join(home, '.claude');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const creds = join(dir, '.credentials.json');
  const login = {
    claudeAiOauth: {
      accessToken: OLD.access,
      refreshToken: OLD.refresh,
      expiresAt,
      refreshTokenExpiresAt: Date.now() + 30 * DAY,
      scopes: ['user:inference', 'user:profile', 'user:sessions:claude_code'],
      subscriptionType: 'max',
      subscriptionTypeSource: 'sign_in',
      rateLimitTier: 'default_claude_max_5x',
      someFutureField: { kept: true },
    },
    mcpOAuth: { 'example-server|0123456789abcdef': { serverName: 'example-server', accessToken: '', expiresAt: 0 } },
    trustedDeviceToken: 'tdt-FAKE',
  };
  writeFileSync(creds, JSON.stringify(login, null, 2), { mode: 0o600 });
  const env = secure ? { CLAUDE_SECURESTORAGE_CONFIG_DIR: dir } : {};
  return {
    home, dir, creds, env, login,
    read: () => JSON.parse(readFileSync(creds, 'utf8')),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Starts `program args...`; resolves to {code, stdout, stderr}. */
function start(program, args, env) {
  const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolveRun, reject) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} ${args.join(' ')} hung: killed after ${CHILD_LIMIT_MS} ms`));
    }, CHILD_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolveRun({ code, stdout, stderr });
    });
  });
  return { child, done };
}

/** `clawdbot` on `h`, its Anthropic token requests sent to `url`. */
function clawdbot(h, args, url, extra = {}) {
  return start(bin, args, {
    HOME: h.home,
    PATH: process.env.PATH,
    NO_COLOR: '1',
    CLAWDBOT_KEYCHAIN: 'off',
    CLAWDBOT_HTTP_TIMEOUT_MS: '60000',
    ...(url ? { CLAWDBOT_TOKEN_URL_ANTHROPIC: url } : {}),
    ...h.env,
    ...extra,
  });
}

/** The real `claude`, offline, on `h`. */
function claude(h, args) {
  const closed = 'http://127.0.0.1:9';
  return start(claudeBin, args, {
    HOME: h.home,
    PATH: '/usr/bin:/bin',
    HTTPS_PROXY: closed,
    HTTP_PROXY: closed,
    https_proxy: closed,
    http_proxy: closed,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    ...h.env,
  });
}

async function claudeStatus(h) {
  const { code, stdout, stderr } = await claude(h, ['auth', 'status', '--json']).done;
  assert.equal(code, 0, `claude auth status: ${stderr}${stdout}`);
  return JSON.parse(stdout);
}

/** A token endpoint; `hold` keeps each answer until `answer()` is called. */
async function tokenServer({ hold = false } = {}) {
  let requests = 0;
  let answer;
  const answered = hold ? new Promise((r) => (answer = r)) : Promise.resolve();
  const server = createServer((req, res) => {
    requests += 1;
    req.resume();
    req.on('end', async () => {
      await answered;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: NEW.access, refresh_token: NEW.refresh, expires_in: 28_800, token_type: 'Bearer' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1/oauth/token`,
    requests: () => requests,
    answer: () => answer?.(),
    close: () => server.close(),
  };
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

/** What Claude Code must read in a login our write-back renewed. */
function assertRenewed(h, status, when) {
  assert.equal(status.loggedIn, true, `${when}: ${JSON.stringify(status)}`);
  assert.equal(status.authMethod, 'claude.ai', when);
  assert.equal(status.subscriptionType, 'max', `${when}: the subscription is kept`);
  assert.equal(status.planTier, 'max_5x', `${when}: the rate-limit tier is kept`);
  assert.equal(status.loginExpiresAt, new Date(h.login.claudeAiOauth.refreshTokenExpiresAt).toISOString(), when);
  const after = h.read();
  assert.equal(after.claudeAiOauth.accessToken, NEW.access, when);
  assert.equal(after.claudeAiOauth.refreshToken, NEW.refresh, when);
  const kept = structuredClone(h.login);
  for (const field of ['accessToken', 'refreshToken', 'expiresAt']) delete kept.claudeAiOauth[field];
  for (const [key, value] of Object.entries(kept.claudeAiOauth)) {
    assert.deepEqual(after.claudeAiOauth[key], value, `${when}: ${key} kept`);
  }
  assert.deepEqual(after.mcpOAuth, h.login.mcpOAuth, `${when}: its MCP logins kept`);
  assert.equal(after.trustedDeviceToken, h.login.trustedDeviceToken, when);
}

for (const secure of [false, true]) {
  const where = secure ? 'a CLAUDE_SECURESTORAGE_CONFIG_DIR folder' : '~/.claude';
  test(`claude reads the login our refresh wrote back, in ${where}`, async () => {
    const server = await tokenServer();
    const h = makeHome({ expiresAt: Date.now() - 60_000, secure });
    try {
      const ours = await clawdbot(h, ['models', 'auth', 'refresh', '--profile', PROFILE], server.url).done;
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(server.requests(), 1);
      assertRenewed(h, await claudeStatus(h), 'after our refresh');
      for (const left of ['.oauth_refresh.lock', '.oauth_refresh.lock.owner', '.storage-write.lock']) {
        assert.ok(!existsSync(join(h.dir, left)), `${left} left behind`);
      }
      assert.ok(!existsSync(`${realpathSync(h.dir)}.lock`), 'legacy lock left behind');
    } finally {
      server.close();
      h.cleanup();
    }
  });
}

test('claude reads what our sync left behind', async () => {
  const h = makeHome({ expiresAt: Date.now() + 8 * 3_600_000 });
  try {
    const before = readFileSync(h.creds);
    const ours = await clawdbot(h, ['models', 'status', '--json'], null).done;
    assert.equal(ours.code, 0, ours.stderr);
    const store = JSON.parse(readFileSync(join(h.home, '.clawdbot/agents/main/agent/auth-profiles.json'), 'utf8'));
    assert.equal(store.profiles[PROFILE]?.access, OLD.access, 'synced into our store');
    assert.deepEqual(readFileSync(h.creds), before, "Claude Code's file is left byte for byte");
    const status = await claudeStatus(h);
    assert.equal(status.loggedIn, true, JSON.stringify(status));
    assert.equal(status.subscriptionType, 'max');
    assert.equal(status.planTier, 'max_5x');
  } finally {
    h.cleanup();
  }
});

test("while our refresh waits on the network, Claude Code's options cannot take its refresh locks", async () => {
  const server = await tokenServer({ hold: true });
  const h = makeHome({ expiresAt: Date.now() - 60_000 });
  try {
    const run = clawdbot(h, ['models', 'auth', 'refresh', '--profile', PROFILE], server.url);
    await until(() => server.requests() > 0, 'the refresh request');
    const newLock = join(h.dir, '.oauth_refresh.lock');
    const legacy = `${realpathSync(h.dir)}.lock`;
    // Claude Code's attempt, as its `v5l` makes it: the new lock, then the
    // legacy one, each once (no retries).
    for (const lockfilePath of [newLock, legacy]) {
      assert.equal(await lockfile.check(h.dir, refreshLockOptions(lockfilePath)), true, `${lockfilePath} is held`);
      await assert.rejects(lockfile.lock(h.dir, refreshLockOptions(lockfilePath)), { code: 'ELOCKED' }, lockfilePath);
    }
    // The owner record, as Claude Code's schema reads it and as it would
    // compute this process's pid domain and space.
    const record = JSON.parse(readFileSync(join(h.dir, '.oauth_refresh.lock.owner'), 'utf8'));
    let ns = '';
    try { ns = readlinkSync('/proc/self/ns/pid'); } catch { ns = ''; }
    let machineId = '';
    try { machineId = readFileSync('/etc/machine-id', 'utf8').trim(); } catch { machineId = ''; }
    assert.equal(record.pid, run.child.pid);
    assert.equal(record.pidDomain, `linux:${machineId}:${ns}`);
    assert.equal(record.pidSpace, `${hostname()}${ns === '' ? '' : `#${ns}`}`);
    assert.equal(record.lockBirthtimeMs, lstatSync(newLock).birthtimeMs, 'the new lock is the one it describes');
    assert.equal(record.legacyLockBirthtimeMs, lstatSync(legacy).birthtimeMs);
    assert.equal(record.procStart, undefined);
    server.answer();
    const ours = await run.done;
    assert.equal(ours.code, 0, ours.stderr);
    // Let go: Claude Code's attempt now succeeds.
    const release = await lockfile.lock(h.dir, refreshLockOptions(newLock));
    await release();
    assert.ok(!existsSync(join(h.dir, '.oauth_refresh.lock.owner')), 'the owner record went with the lock');
  } finally {
    server.close();
    h.cleanup();
  }
});

/** Holds a lock with proper-lockfile for 1.5 s while our refresh runs:
 * no token request may go out meanwhile. */
async function refreshWaitsFor(h, takeLock, what) {
  const server = await tokenServer();
  try {
    const release = await takeLock();
    const run = clawdbot(h, ['models', 'auth', 'refresh', '--profile', PROFILE], server.url);
    await sleep(1500);
    const sentWhileHeld = server.requests();
    await release();
    const ours = await run.done;
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(sentWhileHeld, 0, `a token request went out while ${what} was held`);
    assert.equal(server.requests(), 1);
    assertRenewed(h, await claudeStatus(h), `after waiting for ${what}`);
  } finally {
    server.close();
  }
}

test("Claude Code 2.1.332's refresh lock held: our refresh waits", async () => {
  const h = makeHome({ expiresAt: Date.now() - 60_000 });
  try {
    const newLock = join(h.dir, '.oauth_refresh.lock');
    await refreshWaitsFor(h, () => lockfile.lock(h.dir, refreshLockOptions(newLock)), '.oauth_refresh.lock');
  } finally {
    h.cleanup();
  }
});

test('an older Claude Code holding only the legacy lock: our refresh waits', async () => {
  const h = makeHome({ expiresAt: Date.now() - 60_000 });
  try {
    // Its `lockfile.lock(claudeDir)`: proper-lockfile's defaults, realpath on.
    await refreshWaitsFor(h, () => lockfile.lock(h.dir, { onCompromised: () => {} }), '<dir>.lock');
  } finally {
    h.cleanup();
  }
});

test("Claude Code's write lock held while it writes: our write-back waits and both writes survive", async () => {
  const server = await tokenServer();
  const h = makeHome({ expiresAt: Date.now() - 60_000 });
  try {
    // Claude Code takes its write lock and reads its file...
    const release = await lockfile.lock(join(h.dir, '.storage-write'), WRITE_LOCK_OPTIONS);
    const seen = h.read();
    const run = clawdbot(h, ['models', 'auth', 'refresh', '--profile', PROFILE], server.url);
    await until(() => server.requests() > 0, 'the refresh request');
    await sleep(1000);
    // ...saves an MCP login from what it read, and lets go.
    seen.mcpOAuth['new-server|fedcba9876543210'] = { serverName: 'new-server', accessToken: 'mcp-FAKE', expiresAt: 0 };
    writeFileSync(h.creds, JSON.stringify(seen, null, 2));
    await release();
    const ours = await run.done;
    assert.equal(ours.code, 0, ours.stderr);
    const after = h.read();
    assert.equal(after.claudeAiOauth.accessToken, NEW.access, 'our write-back is there');
    assert.equal(after.mcpOAuth['new-server|fedcba9876543210']?.accessToken, 'mcp-FAKE', 'its write is there');
    const status = await claudeStatus(h);
    assert.equal(status.loggedIn, true);
    assert.equal(status.subscriptionType, 'max');
  } finally {
    server.close();
    h.cleanup();
  }
});

test('our write lock held: the real `claude auth logout` waits before it deletes the file', async () => {
  const server = await tokenServer();
  const h = makeHome({ expiresAt: Date.now() - 60_000 });
  // Our write-back holds Claude Code's write lock through the Keychain
  // write too: a fake `security` that stays in `-i` until told to go on.
  const fake = join(h.home, 'fakebin');
  mkdirSync(fake);
  const script = [
    '#!/bin/sh',
    'here=$(dirname "$0")',
    'if [ "$1" = "-i" ]; then cat > "$here/stdin"; touch "$here/writing"',
    '  while [ ! -e "$here/go" ]; do sleep 0.05; done; exit 0; fi',
    'cat "$here/item"',
  ].join('\n');
  writeFileSync(join(fake, 'security'), `${script}\n`);
  chmodSync(join(fake, 'security'), 0o755);
  writeFileSync(join(fake, 'item'), JSON.stringify(h.login));
  try {
    const run = clawdbot(h, ['models', 'auth', 'refresh', '--profile', PROFILE], server.url, {
      CLAWDBOT_KEYCHAIN: 'security',
      PATH: `${fake}:${process.env.PATH}`,
      USER: 'tester',
    });
    await until(() => existsSync(join(fake, 'writing')), 'our Keychain write');
    assert.ok(existsSync(join(h.dir, '.storage-write.lock')), 'our write-back holds the write lock');
    const logout = claude(h, ['auth', 'logout']);
    await sleep(2000);
    const keptWhileHeld = existsSync(h.creds);
    const waited = logout.child.exitCode === null;
    writeFileSync(join(fake, 'go'), '');
    const ours = await run.done;
    assert.equal(ours.code, 0, ours.stderr);
    const out = await logout.done;
    assert.equal(out.code, 0, out.stderr + out.stdout);
    assert.ok(keptWhileHeld && waited, 'claude auth logout deleted the file while our write lock was held');
    assert.ok(!existsSync(h.creds), 'then it logged out');
  } finally {
    server.close();
    h.cleanup();
  }
});
