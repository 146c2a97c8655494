// Every conformance vector (tests/vectors, plus $CLAWDBOT_SHARED_DIR/vectors
// when that is set) through the wasm-bindgen build for Node
// (dist/node, made by scripts/build-wasm.sh): the check code and the
// providers in use without credentials must be what the vector expects;
// then files given by role, and the view the admin panel draws.
//
// Run: node --test host-wasm/node-test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const gluePath = join(root, 'dist/node/clawdbot_auth_wasm.js');
/** The repository's vectors, then the extra folder's when one is named. */
const vectorDirs = [
  { dir: join(root, 'tests/vectors'), label: '' },
  ...(process.env.CLAWDBOT_SHARED_DIR ? [{ dir: join(process.env.CLAWDBOT_SHARED_DIR, 'vectors'), label: 'shared:' }] : []),
];

if (!existsSync(gluePath)) {
  throw new Error(`${gluePath} does not exist: run scripts/build-wasm.sh first`);
}
const core = createRequire(import.meta.url)(gluePath);

/** The envelope `status` request a vector describes. */
function statusRequest(vector) {
  const home = {};
  for (const [path, content] of Object.entries(vector.home ?? {})) {
    const isText =
      content !== null && typeof content === 'object' && Object.keys(content).length === 1 && typeof content.$text === 'string';
    home[path] = isText ? content.$text : content;
  }
  const request = { op: 'status', now: vector.now, env: vector.env ?? {}, home };
  if (vector.warnAfterMs !== undefined) request.warnAfterMs = vector.warnAfterMs;
  if (vector.strict !== undefined) request.strict = vector.strict;
  if (vector.keychain !== undefined) request.keychain = vector.keychain;
  if (vector.agent !== undefined) request.agent = vector.agent;
  return request;
}

const files = vectorDirs.flatMap(({ dir, label }) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.json') && name !== 'units.json')
    .sort()
    .map((name) => ({ path: join(dir, name), name: label + name })),
);

test('the vectors folder has cases', () => {
  assert.ok(files.length > 0, `no vectors in ${vectorDirs[0].dir}`);
});

test('version() is the package version', () => {
  assert.match(core.version(), /^\d+\.\d+\.\d+/);
});

for (const { path, name } of files) {
  test(name, () => {
    const vector = JSON.parse(readFileSync(path, 'utf8'));
    const response = JSON.parse(core.handle(JSON.stringify(statusRequest(vector))));
    const expect = vector.expect ?? {};
    if ('refused' in expect) {
      // Refused as the CLI refuses it, by the view too.
      assert.ok(String(response.error ?? '').includes(expect.refused), `want a refusal: ${JSON.stringify(response)}`);
      const view = JSON.parse(core.handle(JSON.stringify({ ...statusRequest(vector), op: 'view' })));
      assert.ok(String(view.error ?? '').includes(expect.refused), 'the view refuses too');
      return;
    }
    assert.equal(response.error, undefined, `the core answered an error: ${response.error}`);
    if ('check' in expect) {
      assert.equal(response.check, expect.check, 'check code');
    }
    if ('missingProvidersInUse' in expect) {
      assert.deepEqual(response.report.auth.missingProvidersInUse, expect.missingProvidersInUse, 'missingProvidersInUse');
    }
    // The panel's view of the same home says the same.
    const view = JSON.parse(core.handle(JSON.stringify({ ...statusRequest(vector), op: 'view' }))).view;
    assert.equal(view.check.code, response.check, 'the view has the report\'s check code');
    assert.deepEqual(view.missing.map((m) => m.provider.id), response.report.auth.missingProvidersInUse);
  });
}

test('bad requests come back as errors, not exceptions', () => {
  for (const request of ['', 'not json', '{}', '{"op":"nope"}']) {
    const response = JSON.parse(core.handle(request));
    assert.equal(typeof response.error, 'string', `request ${JSON.stringify(request)}`);
  }
});

// The review's probe (architecture.md §5.3): what the panel got wrong when
// it placed files and read the report itself, now answered by the core.
const NOW = 1767225600000;
const view = (files, extra = {}) => JSON.parse(core.handle(JSON.stringify({ op: 'view', now: NOW, files, ...extra })));
const oauth = { type: 'oauth', provider: 'anthropic', access: 'a-FAKE', refresh: 'r-FAKE', expires: NOW + 3600e3 };
const store = { version: 1, profiles: { 'anthropic:a': oauth } };

test('files by role: the store is read for the config default agent', () => {
  const r = view({ store, config: { agents: { list: [{ id: 'ops', default: true }] } } });
  assert.equal(r.locations.store, '~/.clawdbot/agents/ops/agent/auth-profiles.json');
  // Found, and judged: a login that renews itself is ok (0); placed under
  // agents/main it would not be found at all (1).
  assert.equal(r.view.check.code, 0);
  assert.equal(r.view.profiles.total, 1);
  assert.equal(r.report, undefined, 'the view op answers no report and no store');
  assert.equal(r.store, undefined);
});

test('the view finds an order stored under "z.ai"', () => {
  const key = { type: 'api_key', provider: 'zai', key: 'k-FAKE' };
  const r = view({ store: { version: 1, profiles: { 'zai:a': key, 'zai:b': key }, order: { 'z.ai': ['zai:b', 'zai:a'] } } });
  assert.deepEqual(r.view.orders.map((o) => [o.provider.id, o.stored.rows]), [['zai', ['zai:b', 'zai:a']]]);
});

test('an expiring login that refreshes itself needs no human', () => {
  const doctor = view({ store }).view.doctor;
  assert.equal(doctor.needsHuman.total, 0);
  assert.deepEqual(doctor.refreshesItself.rows.map((i) => i.profile.id), ['anthropic:a']);
  assert.equal(doctor.nothingNeeded, true);
});
