// The homes and the server of the live panel's browser tests
// (live.test.mjs) and of the screenshots in docs/panel.md (panel-shots.mjs):
// `clawdbot panel` on a temporary HOME, with the clock pinned.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const clawdbotBin =
  process.env.CLAWDBOT_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug/clawdbot');

export const STORE = '.clawdbot/agents/main/agent/auth-profiles.json';
export const CONFIG = '.clawdbot/clawdbot.json';

/** The pinned clock of the server, the CLI and the page: 2026-01-01. */
export const NOW = 1767225600000;
export const HOUR = 3600000;
export const DAY = 24 * HOUR;
/** Secrets whose middles no mask shows: none may reach the page. */
export const CANARIES = ['CANARYWORK', 'CANARYSPARE', 'CANARYROUTER', 'CANARYMANUAL', 'CANARYCLAUDE', 'CANARYPASTED'];


/** The small home: a Claude Code login, a Codex login, three API
 * keys (one in a rate-limit cooldown), one token expired two days ago, a
 * default model with a fallback. */
export async function writeSmallHome(dir) {
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
  await writeHome(dir, files);
}

/** Writes `files` ({relative path: JSON value}) under `dir`, privately. */
export async function writeHome(dir, files) {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, JSON.stringify(content, null, 2), { mode: 0o600 });
  }
}

/** The environment every run gets: nothing of ours but PATH. */
export function envFor(dir) {
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
export function startPanel(dir) {
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

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}
