// The file-drop admin panel (dist/web) at 15 000, 30 000 and 60 000
// profiles, in headless Chromium: how long the operator waits. Not a test
// (no number here passes or fails anything): scripts/bench.sh runs it and
// docs/performance.md keeps its table. Issue 27 item 5's targets, at
// 60 000 profiles: a file pick drawn in < 1 s, an order move in < 0.5 s,
// "show all" linear (60 000 rows in < 2 s, or paged). The profile table is
// paged (200 rows a page, docs/panel.md): "show all" is timed as one step
// of its pager, the next page.
//
// Each time runs in the page, from the input's `change` event (the file
// pick) or the button's `click` (the move, the next page) to the first frame
// after the page redrew: a requestAnimationFrame callback once the refresh
// is over, then a task after that frame (so the style, layout and paint of
// the new rows are in it). Each round is a fresh page load; the table gives
// medians of the rounds.
//
// Run: scripts/build-wasm.sh, then (cd host-wasm/browser-test && npm ci &&
// node panel-bench.mjs [--rounds N] [--sizes 15000,30000,60000]).
// CHROMIUM overrides the browser (default /usr/bin/chromium); BENCH_WORK
// keeps the generated homes (scripts/gen-home.py) between runs;
// PANEL_BENCH_VERBOSE=1 prints each time's split (the core call and its
// JSON, building the DOM, the rest: layout, paint, reading the file);
// PANEL_BENCH_CAP_MS (default 180000) is when a time counts as unfinished.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from './live-home.mjs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const webDir = process.env.PANEL_WEB_DIR ? resolve(process.env.PANEL_WEB_DIR) : join(root, 'dist/web');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
/** gen-home.py's clock: its expiries and cooldowns are around this instant. */
const NOW = 1767225600000;
/** A measurement that takes longer than this is reported as not finished. */
const CAP_MS = Number(process.env.PANEL_BENCH_CAP_MS || 180000);

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}
const rounds = Number(option('--rounds', '3'));
const sizes = option('--sizes', '15000,30000,60000').split(',').map(Number);

function run(command, args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`${command} exited with ${code}`))));
  });
}

async function waitForServer(url) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 15 s`);
}

/** Installed in every page before its own script: `window.benchArm(type)`
 * starts a clock at the next `type` event (capture phase, so before the
 * page's own handler) and `window.benchDone()` resolves with the ms from
 * there to the first frame after the refresh that event caused.
 * performance.now is kept aside first: the pinned clock must not stop it. */
const probe = () => {
  const now = performance.now.bind(performance);
  const bench = { start: null, refreshes: 0 };
  window.benchArm = (type) => {
    bench.start = null;
    bench.refreshes = window.clawdbotPanel.stats.refreshes;
    document.addEventListener(type, () => (bench.start = now()), { capture: true, once: true });
  };
  window.benchDone = () =>
    new Promise((done) => {
      const poll = () => {
        if (bench.start !== null && window.clawdbotPanel.stats.refreshes > bench.refreshes) {
          // This frame holds the new rows; the task after it runs once painted.
          setTimeout(() => done(now() - bench.start), 0);
        } else {
          requestAnimationFrame(poll);
        }
      };
      requestAnimationFrame(poll);
    });
};

async function timed(page, type, action) {
  await page.evaluate((t) => window.benchArm(t), type);
  await action();
  const total = await Promise.race([
    page.evaluate(() => window.benchDone()),
    new Promise((r) => setTimeout(() => r(null), CAP_MS)),
  ]);
  if (total === null) return null;
  // The page's own split of its last refresh: core call + JSON, DOM building.
  const stats = await page.evaluate(() => ({ ...window.clawdbotPanel.stats }));
  if (process.env.PANEL_BENCH_VERBOSE) console.error(`#   ${type}: ${total.toFixed(0)} ms = core ${stats.computeMs.toFixed(0)} + DOM ${stats.renderMs.toFixed(0)} + the rest`);
  return total;
}

/** Clicks a button from a task of the page's own, so that the call returns
 * at once: Playwright's click waits for the handler, which may be the very
 * thing that takes minutes. */
function press(locator) {
  return locator.evaluate((button) => setTimeout(() => button.click(), 0));
}

function median(values) {
  const done = values.filter((v) => v !== null).sort((a, b) => a - b);
  if (done.length < values.length) return null;
  const mid = Math.floor(done.length / 2);
  return done.length % 2 ? done[mid] : (done[mid - 1] + done[mid]) / 2;
}

/** One round on a fresh page: pick the store, move one profile, the
 * profile table's next page. */
async function round(browser, url, store, size) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(probe);
  await page.clock.setFixedTime(NOW);
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 30000 });
  const out = { pick: null, move: null, next: null, rows: 0, orderRows: 0, shown: '' };
  try {
    out.pick = await timed(page, 'change', () => page.setInputFiles('#file-store', store));
    if (out.pick === null) return out;
    const down = page.locator('#order button.move[data-move="down"]:not([disabled])').first();
    out.move = await timed(page, 'click', () => press(down));
    if (out.move === null) return out;
    const next = page.locator('#profiles .pager button[data-page="next"]');
    if ((await next.count()) === 0) throw new Error(`no pager at ${size} profiles`);
    out.next = await timed(page, 'click', () => press(next));
    if (out.next !== null) {
      out.rows = await page.locator('#profiles tbody tr').count();
      out.orderRows = await page.locator('#order li').count();
      out.shown = (await page.locator('#profiles .pager-rows').textContent()).trim();
    }
  } finally {
    if (errors.length) console.error(`page errors: ${errors.join('; ')}`);
    await page.close().catch(() => {});
  }
  return out;
}

const ms = (v) => (v === null ? `> ${CAP_MS}` : v.toFixed(0));

async function main() {
  if (!existsSync(join(webDir, 'index.html'))) throw new Error(`${webDir} is missing: run scripts/build-wasm.sh first`);
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing (set CHROMIUM)`);
  const work = process.env.BENCH_WORK ? resolve(process.env.BENCH_WORK) : await mkdtemp(join(tmpdir(), 'clawdbot-panel-bench-'));
  const port = await freePort();
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', webDir], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}/index.html`;
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
  const results = [];
  try {
    await waitForServer(url);
    for (const size of sizes) {
      const home = join(work, `panel-${size}`);
      const store = join(home, '.clawdbot/agents/main/agent/auth-profiles.json');
      if (!existsSync(store)) await run('python3', [join(root, 'scripts/gen-home.py'), home, String(size)]);
      const runs = [];
      for (let i = 0; i < rounds; i += 1) {
        const r = await round(browser, url, store, size);
        console.error(
          `# ${size} profiles, round ${i + 1}: pick ${ms(r.pick)} ms, move ${ms(r.move)} ms, next page ${ms(r.next)} ms ` +
            `(${r.shown}: ${r.rows} profile rows, ${r.orderRows} order rows drawn)`,
        );
        runs.push(r);
        if (r.next === null) break; // one unfinished round says enough
      }
      results.push({ size, runs });
    }
  } finally {
    await browser.close();
    server.kill();
    if (!process.env.BENCH_WORK) await rm(work, { recursive: true, force: true });
  }

  console.log(`Admin panel in headless Chromium (${(await chromiumVersion()) || 'Chromium'}), the file-drop page, medians of ${rounds} rounds`);
  console.log('(targets at 60000 profiles: file pick drawn < 1000 ms, order move < 500 ms, show all linear or paged;');
  console.log('"show all" is paged, 200 rows a page: the next page is timed; µs / profile: of the whole store, per call)');
  console.log();
  console.log('| profiles | file pick -> drawn (ms) | order move (ms) | next page (ms) | rows drawn per page | µs / profile: pick, move, next page |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const { size, runs } of results) {
    const times = ['pick', 'move', 'next'].map((k) => median(runs.map((r) => r[k])));
    const perProfile = times.map((t) => (t === null ? '-' : ((t * 1000) / size).toFixed(1))).join(', ');
    const rows = runs[runs.length - 1].rows;
    console.log(`| ${size} | ${ms(times[0])} | ${ms(times[1])} | ${ms(times[2])} | ${rows} | ${perProfile} |`);
  }
  async function chromiumVersion() {
    return new Promise((resolveVersion) => {
      const child = spawn(executablePath, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let text = '';
      child.stdout.on('data', (c) => (text += c));
      child.on('exit', () => resolveVersion(text.trim()));
      child.on('error', () => resolveVersion(''));
    });
  }
}

await main();
