// The screenshots of docs/panel.md: `clawdbot panel` on the small home of
// the live test, and on a home of 60 000 profiles, at 1280 and 400 px.
// Not a test: run it by hand after a change to the page or the view, and
// commit the images it writes to docs/img/.
//
// Run: (cd host-wasm/browser-test && node panel-shots.mjs), after
// `cargo build -p clawdbot` (or with CLAWDBOT_BIN; a --release build makes
// the big home much faster).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CONFIG, HOUR, NOW, STORE, root, startPanel, writeHome, writeSmallHome } from './live-home.mjs';

const out = join(root, 'docs/img');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

/** 60 000 profiles over four providers, a few of them needing a look. */
async function writeBigHome(dir) {
  const profiles = {};
  const usageStats = {};
  const providers = ['anthropic', 'openai', 'openrouter', 'groq'];
  for (let i = 0; i < 60000; i += 1) {
    const provider = providers[i % providers.length];
    const id = `${provider}:tenant-${String(i).padStart(5, '0')}`;
    if (i % 20000 === 7) {
      profiles[id] = { type: 'token', provider, token: `sk-FAKE-token-${i}-0123456789`, expires: NOW - (2 + (i % 5)) * 24 * HOUR };
    } else {
      profiles[id] = { type: 'api_key', provider, key: `sk-FAKE-key-${i}-0123456789abcdef` };
    }
    if (i % 15000 === 3) usageStats[id] = { cooldownUntil: NOW + 20 * 60000, failureCounts: { rate_limit: 2 }, errorCount: 2 };
  }
  profiles['anthropic:soon'] = { type: 'token', provider: 'anthropic', token: 'sk-FAKE-soon-0123456789', expires: NOW + 5 * HOUR };
  await writeHome(dir, {
    [STORE]: { version: 1, profiles, usageStats },
    [CONFIG]: { agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-5', fallbacks: ['openai/gpt-5', 'groq/llama-4'] } } } },
  });
}

async function shoot(browser, home, name) {
  const panel = await startPanel(home);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.clock.setFixedTime(NOW);
    await page.goto(panel.link);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 600000 });
    await page.screenshot({ path: join(out, `panel-${name}-1280.png`), fullPage: name === 'small' });
    await page.setViewportSize({ width: 400, height: 1600 });
    await page.screenshot({ path: join(out, `panel-${name}-400.png`) });
    await page.close();
  } finally {
    panel.child.kill();
  }
}

const scratch = await mkdtemp(join(tmpdir(), 'clawdbot-shots-'));
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const small = join(scratch, 'small');
  await writeSmallHome(small);
  await shoot(browser, small, 'small');
  const big = join(scratch, 'big');
  await writeBigHome(big);
  await shoot(browser, big, '60k');
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await rm(scratch, { recursive: true, force: true });
}
