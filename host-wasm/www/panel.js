// The admin panel: reads credential files the operator picks, hands them to
// the core (WebAssembly, same code as the CLI) by role, and draws the view
// the core computes. No rule lives here: where each file belongs, the sort
// orders, what needs a human, the check code's meaning, the order lookup
// and the escaping of file text are all the core's (the envelope's `view`).
// No framework and no network: the only fetch is the .wasm file next to
// this page. Secrets never leave the page: they go into the core's request
// and the view holds none.
//
// A classic script (not a module) so that it also runs from file://, where
// browsers refuse module scripts and fetch(); there it loads the
// `offline/` build (classic glue + the module's bytes as base64).
//
// Served by `clawdbot panel` (the page is marked `live`), it loads no
// WebAssembly and reads no file: the server, on the gateway host, makes
// the same view with the native core from that host's files, and runs the
// CLI's own commands for the buttons (`api/verb`). The page signs in once
// with the token in its URL's #fragment, which it removes at once.
'use strict';

(function () {
  const REFRESH_EVERY_MS = 60000;
  const LIVE = (document.querySelector('meta[name="clawdbot-mode"]') || {}).content === 'live';

  let core = null; // { handle(string): string, formatRemainingShort(number): string, formatInstant(number): string, version(): string }
  const state = {
    files: {}, // role -> { name, text }
    storeEdited: false, // the store text came from a reorder
    from: 0, // where the profile table's page starts (the core pages it)
    only: 'all', // the profile table's filter: all, problems, or a status word (the core filters)
    view: null, // the last view
    live: null, // live only: what the server says of its read ({version, readAt})
    error: null, // the core's error, if it refused the request
    renderedAt: 0,
    busy: false, // live only: a verb or a refresh is on its way
    session: null, // the core's session over the picked files (core.Session), opened at the first view after a pick
  };
  /** How the last refreshes went, for tests and the curious. */
  const stats = { refreshes: 0, coreCallsLastRefresh: 0, computeMs: 0, renderMs: 0, sessionsOpened: 0 };
  let coreCalls = 0;

  /** The roles the page has an input for, in page order (`data-kind`). */
  function roles() {
    return Array.from(document.querySelectorAll('input[type=file][data-kind]'), (input) => input.dataset.kind);
  }

  // ---------------------------------------------------------------- helpers

  /** Creates an element; children are nodes or strings (always as text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  /** An id or path with a line-break opportunity after each `:`, `-`,
   * `.`, `/`, `@` and `_`, so that a long one wraps between its parts
   * rather than mid-word (display only: the text is unchanged). */
  function breakable(text) {
    const parts = String(text).split(/(?<=[:\-./@_])/);
    const nodes = [];
    parts.forEach((part, i) => {
      if (i > 0) nodes.push(el('wbr'));
      nodes.push(part);
    });
    return el('span', { class: 'id' }, nodes);
  }

  /** The core's formatRemainingShort (spec 2.9), for live countdowns: the
   * rule lives in Rust only, exported by the wasm module. */
  function formatRemainingShort(ms) {
    return core ? core.formatRemainingShort(typeof ms === 'number' ? ms : NaN) : '';
  }

  /** A precise countdown, `1d 02:03:04`, so the display visibly ticks. */
  function formatCountdown(ms) {
    if (!Number.isFinite(ms)) return '';
    if (ms <= 0) return 'now';
    const total = Math.floor(ms / 1000);
    const days = Math.floor(total / 86400);
    const pad = (n) => String(n).padStart(2, '0');
    const clock = `${pad(Math.floor((total % 86400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
    return days > 0 ? `${days}d ${clock}` : clock;
  }

  /** An instant as the CLI writes it: the core's ISO text, or its words
   * for an instant past the year 9999 (the far-future rule lives in Rust
   * only, like the rounding above). */
  function formatInstant(ms) {
    return core ? core.formatInstant(typeof ms === 'number' ? ms : NaN) : '';
  }

  /** A status badge: the icon and word the core chose for it. */
  function statusBadge(badge) {
    return el(
      'span',
      { class: `badge status-${badge.status}` },
      el('span', { class: 'badge-icon', 'aria-hidden': 'true' }, badge.icon),
      ` ${badge.word}`,
    );
  }

  /** An "expires in" cell from the view's `remaining`: a live countdown
   * from `expiresAt` when there is one, else the core's text; `—` for what
   * never expires. */
  function remainingCell(remaining) {
    if (!remaining) return el('span', { class: 'remaining' }, '—');
    // Past: the CLI's words ("expired 2d ago"), not a countdown at zero.
    if (remaining.past) return el('span', { class: 'remaining remaining-past' }, remaining.past);
    if (typeof remaining.expiresAt !== 'number') return el('span', { class: 'remaining' }, remaining.text);
    const node = el('span', {
      class: 'remaining',
      dataset: { expiresAt: String(remaining.expiresAt), text: remaining.text },
    });
    updateRemaining(node, Date.now());
    return node;
  }

  /** The short text is the core's: live from the WebAssembly core, or,
   * served live by the host (no core in the page), the view's own text of
   * the last read, a minute old at most; the precise clock ticks either way. */
  function updateRemaining(node, now) {
    const expiresAt = Number(node.dataset.expiresAt);
    const left = expiresAt - now;
    node.replaceChildren(
      el('span', { class: 'remaining-short' }, core ? formatRemainingShort(left) : node.dataset.text),
      el('span', { class: 'remaining-precise' }, formatCountdown(left)),
    );
    if (core) node.title = `expires ${formatInstant(expiresAt)}`;
  }

  function emptyNote(text) {
    return el('p', { class: 'empty' }, text);
  }

  function table(caption, headings, rows) {
    return el(
      'table',
      {},
      el('caption', { class: 'visually-hidden' }, caption),
      el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows),
    );
  }

  // ------------------------------------------------------------------- core

  /** Loads the core: the ES glue when served, the offline build on file://. */
  async function loadCore() {
    if (location.protocol !== 'file:') {
      const glue = await import(new URL('clawdbot_auth_wasm.js', document.baseURI).href);
      await glue.default({ module_or_path: new URL('clawdbot_auth_wasm_bg.wasm', document.baseURI) });
      return glue;
    }
    await loadClassicScript('offline/clawdbot_auth_wasm.js');
    await loadClassicScript('offline/wasm-bytes.js');
    const base64 = window.CLAWDBOT_AUTH_WASM_BASE64;
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    // `wasm_bindgen` is the global the no-modules glue declares.
    // eslint-disable-next-line no-undef
    const glue = wasm_bindgen;
    await glue({ module_or_path: bytes });
    return glue;
  }

  function loadClassicScript(src) {
    return new Promise((resolve, reject) => {
      const script = el('script', { src });
      script.addEventListener('load', resolve);
      script.addEventListener('error', () => reject(new Error(`cannot load ${src}`)));
      document.head.append(script);
    });
  }

  /** One envelope call: the request in, the parsed response out. */
  function call(request) {
    coreCalls += 1;
    try {
      return JSON.parse(core.handle(JSON.stringify(request)));
    } catch (error) {
      return { error: `the core's answer could not be read: ${error.message}` };
    }
  }

  /** One call to the session over the picked files: the page's call in,
   * the parsed answer out. The session is opened (the files parsed and
   * checked, once) at the first call after the files changed; later calls
   * are cut from what it kept (a page) or run over its files (a move). */
  function sessionCall(method, asked) {
    coreCalls += 1;
    try {
      if (!state.session) {
        // The files go beside the request, as read: inside it a 12 MB store
        // would be escaped into its JSON here and unescaped in the core.
        const { files: byRole, ...opening } = request('view');
        const roles = Object.keys(byRole);
        state.session = new core.Session(JSON.stringify(opening), roles, roles.map((role) => byRole[role]));
        stats.sessionsOpened += 1;
      }
      return JSON.parse(state.session[method](JSON.stringify(asked)));
    } catch (error) {
      return { error: `the core's answer could not be read: ${error.message}` };
    }
  }

  /** The store's text: a store reordered here is held by the session
   * (`text: null`) and taken from it only when needed (a download, a new
   * session), not carried through every move. */
  function storeText() {
    const file = state.files.store;
    if (file && file.text === null && state.session) file.text = state.session.storeText() ?? '';
    return file ? file.text : null;
  }

  /** The files changed: the next view opens a new session. */
  function filesChanged() {
    if (state.session) {
      storeText();
      state.session.free();
    }
    state.session = null;
  }

  /** The picked files by role, as the envelope takes them. */
  function files() {
    const out = {};
    for (const [role, file] of Object.entries(state.files)) if (file) out[role] = role === 'store' ? storeText() : file.text;
    return out;
  }

  function request(op, extra) {
    return Object.assign({ op, now: Date.now(), env: {}, files: files() }, extra);
  }

  function textShown() {
    return $('status-text').closest('details').open;
  }

  function anyFileLoaded() {
    if (LIVE) return Boolean(state.view);
    return Object.values(state.files).some(Boolean);
  }

  // ----------------------------------------------------------------- render

  /** Rows each list shows, and the profile table's page: enough to read,
   * few enough that a 60 000-profile store costs the layout, the JSON and
   * every second's countdown next to nothing (drawing all 60 000 rows took
   * Chromium minutes). The core cuts the lists (`rows`) and pages the
   * profile table (`from`); its text output lists everything. */
  const ROW_LIMIT = 200;

  /** What the view is asked to hold: the rows, the profile table's page
   * and filter, and the CLI text (megabytes for a big store) only while
   * its panel is open. */
  function viewAsked() {
    return { rows: ROW_LIMIT, from: state.from, only: state.only, text: textShown() };
  }

  /** Draws the view again: `recheck` (the minute's refresh) has the core
   * check the files again at this instant; otherwise the page (another
   * page of the table, the text opened) is cut from what the session
   * keeps. */
  function refresh(recheck) {
    if (LIVE) {
      liveRefresh();
      return;
    }
    // One call per refresh: the view holds everything the page shows. With
    // no file, the envelope's view, for the locations the labels show.
    if (!anyFileLoaded()) {
      show(() => call(request('view', viewAsked())));
      return;
    }
    const asked = recheck ? Object.assign(viewAsked(), { now: Date.now() }) : viewAsked();
    show(() => sessionCall('view', asked));
  }

  /** Draws the view `ask` answers (one core call), timing both; draws
   * nothing when it answers null. */
  function show(ask) {
    // Re-rendering replaces the order buttons; keep focus on the same one.
    const focused = document.activeElement;
    const focusKey = focused && focused.dataset && focused.dataset.move ? { ...focused.dataset } : null;
    const callsBefore = coreCalls;
    const started = performance.now();
    const response = ask();
    if (!response) return;
    stats.computeMs = performance.now() - started;
    stats.coreCallsLastRefresh = coreCalls - callsBefore;
    state.error = response.error || null;
    state.view = response.view || null;
    state.renderedAt = Date.now();
    const drawn = performance.now();
    renderAll();
    stats.renderMs = performance.now() - drawn;
    stats.refreshes += 1;
    if (focusKey) {
      const again = Array.from(document.querySelectorAll('#order button.move')).find(
        (b) =>
          b.dataset.move === focusKey.move && b.dataset.provider === focusKey.provider && b.dataset.profileId === focusKey.profileId,
      );
      if (again && !again.disabled) again.focus();
    }
    return response;
  }

  const SECTIONS = ['providers', 'profiles', 'missing', 'cooldowns', 'doctor', 'diagnostics', 'order'];

  function renderAll() {
    const view = state.view;
    renderFiles(view);
    if (state.error) {
      renderCheck(null, `The core could not check these files: ${state.error}`);
      renderWhy([]);
      renderModels(null);
      renderWarnings(null);
      $('profile-filter').hidden = true;
      for (const id of SECTIONS) $(id).replaceChildren(emptyNote('No result.'));
      $('status-text').textContent = '';
      $('checked-at').textContent = '';
      return;
    }
    if (!view || !anyFileLoaded()) {
      renderCheck(null, 'Load a credential file to see the status.');
      renderWhy([]);
      renderModels(null);
      renderWarnings(null);
      $('profile-filter').hidden = true;
      for (const id of SECTIONS) $(id).replaceChildren(emptyNote('Nothing loaded yet.'));
      $('status-text').textContent = '';
      $('checked-at').textContent = '';
      return;
    }
    renderCheck(view.check);
    renderWhy(view.diagnostics);
    renderModels(view.models);
    renderWarnings(view.warnings);
    $('checked-at').textContent = LIVE
      ? `Read on the host at ${state.live.readAt}; read again every minute. ` +
        `"Expiring" means within ${view.defaults.warnWithin}.`
      : `Checked ${formatInstant(state.renderedAt)}; rechecked every minute. ` +
        `"Expiring" means within ${formatRemainingShort(view.warnAfterMs)}.`;
    renderDiagnostics(view);
    renderProviders(view.providers);
    renderFilter(view);
    renderProfiles(view.profiles);
    renderMissing(view.missing);
    renderCooldowns(view.cooldowns);
    renderDoctor(view.doctor);
    renderOrder(view.orders);
    renderLive();
    $('status-text').textContent = view.text || '';
  }

  /** Each role's path (where the core looked) and how its file fared. */
  function renderFiles(view) {
    const byRole = new Map(((view && view.files) || []).map((f) => [f.role, f]));
    for (const role of roles()) {
      const info = byRole.get(role);
      if (info) $(`file-${role}-path`).textContent = info.path;
      const file = state.files[role];
      let text = 'Not loaded';
      if (file && role === 'store' && state.storeEdited) text = `${file.name}: reordered here, not saved yet`;
      else if (file && info && info.state === 'unreadable') text = `${file.name} could not be read: see Diagnostics`;
      else if (file && info && info.state === 'readWithProblems') text = `Loaded ${file.name}, with problems: see Diagnostics`;
      else if (file && info && info.state === 'notUsed') text = `${file.name} is not used: it is read only while there is no store`;
      else if (file) text = `Loaded ${file.name}`;
      $(`file-${role}-state`).textContent = text;
    }
  }

  /** The models the check judges: the default and its fallbacks. */
  function renderModels(models) {
    const line = $('models');
    line.hidden = !models;
    if (!models) return;
    const parts = [el('span', { class: 'label' }, 'Default model '), el('code', {}, breakable(models.default))];
    if (models.fallbacks.length) {
      parts.push(el('span', { class: 'label' }, ' · fallbacks '));
      models.fallbacks.forEach((m, i) => parts.push(i ? ', ' : '', el('code', {}, breakable(m))));
    }
    if (models.image) parts.push(el('span', { class: 'label' }, ' · image model '), el('code', {}, breakable(models.image)));
    line.replaceChildren(...parts);
  }

  /** The warnings `models status` prints under the check. */
  function renderWarnings(warnings) {
    const box = $('warnings');
    box.hidden = !warnings || warnings.total === 0;
    if (box.hidden) return;
    box.replaceChildren(
      el('p', { class: 'warnings-head' }, 'Warnings (not counted by the check)'),
      el('ul', { class: 'plain' }, warnings.rows.map((w) => el('li', {}, w))),
      more(warnings, 'warnings') || '',
    );
  }

  /** Counts by status, each a filter the core applies (problems first). */
  function renderFilter(view) {
    const bar = $('profile-filter');
    const counts = view.profileCounts || [];
    const total = counts.reduce((n, c) => n + c.count, 0);
    const problems = counts.filter((c) => c.problem).reduce((n, c) => n + c.count, 0);
    bar.hidden = total === 0;
    const choice = (only, content, label) =>
      el(
        'button',
        {
          type: 'button',
          class: `filter-choice${view.only === only ? ' chosen' : ''}`,
          'aria-pressed': String(view.only === only),
          'aria-label': label,
          dataset: { only },
          onclick: () => {
            state.only = only;
            state.from = 0;
            refresh();
          },
        },
        content,
      );
    bar.replaceChildren(
      choice('all', `All ${total}`, `All ${total} profiles`),
      choice('problems', `Needs a look ${problems}`, `${problems} profiles that need a look`),
      ...counts.map((c) =>
        choice(c.badge.word, [statusBadge(c.badge), ` ${c.count}`], `${c.count} ${c.badge.word}`),
      ),
    );
  }

  function renderLive() {
    if (!LIVE) return;
    const providers = $('add-providers');
    const known = ((state.view && state.view.providers) || []).map((p) => p.provider.id);
    providers.replaceChildren(...known.map((id) => el('option', { value: id })));
  }

  function renderCheck(check, message) {
    const box = $('check-result');
    const code = check ? check.code : null;
    const text = check ? check.text : message;
    const codeText = check ? String(code) : '–';
    box.className = `check check-${check ? code : 'none'}`;
    box.dataset.check = check ? String(code) : '';
    // Touch the live region only when something changed, so screen readers
    // do not announce the minute re-check.
    if ($('check-code').textContent !== codeText) $('check-code').textContent = codeText;
    if ($('check-text').textContent !== text) $('check-text').textContent = text;
  }

  /** Right under the check code: the files that could not be used (the
   * core's error diagnostics), so they are the first thing read. */
  function renderWhy(diagnostics) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const list = $('check-why');
    list.hidden = errors.length === 0;
    list.replaceChildren(
      ...errors.map((d) => el('li', { class: 'error' }, el('span', { class: 'file' }, d.file), `: ${d.message}`)),
    );
  }

  /** Under a cut list: how much of it shows (the text output lists all). */
  function more(page, noun) {
    if (page.rows.length >= page.total) return null;
    return el('p', { class: 'meta more' }, `Showing ${page.rows.length} of ${page.total} ${noun}; the text output below lists all.`);
  }

  /** Under the profile table: which rows of the list show, and buttons for
   * the pages before and after (the core cuts each page, `from`). */
  function pager(page) {
    const from = page.from || 0;
    if (from === 0 && page.rows.length >= page.total) return null;
    const go = (to, label, text, disabled) =>
      el(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'aria-label': label,
          disabled,
          dataset: { page: text.toLowerCase() },
          onclick: () => {
            state.from = to;
            refresh();
          },
        },
        text,
      );
    return el(
      'p',
      { class: 'meta more pager' },
      el('span', { class: 'pager-rows' }, `Profiles ${from + 1}–${from + page.rows.length} of ${page.total} `),
      go(0, 'First profiles', 'First', from === 0),
      ' ',
      go(Math.max(0, from - ROW_LIMIT), `Previous ${ROW_LIMIT} profiles`, 'Previous', from === 0),
      ' ',
      go(from + page.rows.length, `Next ${ROW_LIMIT} profiles`, 'Next', from + page.rows.length >= page.total),
      ' ',
      // Past the end: the core answers the last page.
      go(page.total, 'Last profiles', 'Last', from + page.rows.length >= page.total),
    );
  }

  function renderProviders(providers) {
    if (providers.length === 0) {
      $('providers').replaceChildren(emptyNote('No providers.'));
      return;
    }
    const rows = providers.map((p) =>
      el(
        'tr',
        { dataset: { provider: p.provider.id, status: p.badge.status } },
        el(
          'th',
          { scope: 'row' },
          breakable(p.provider.shown),
          p.inUseWithoutCredentials ? el('span', { class: 'tag' }, ' in use, no credentials') : null,
        ),
        el('td', { 'data-label': 'Requests use', class: 'used-now' }, usedNowCell(p.usedNow)),
        el(
          'td',
          { 'data-label': 'All its profiles' },
          statusBadge(p.badge),
          ` ${p.profiles} profile${p.profiles === 1 ? '' : 's'}`,
          p.remaining && p.remaining.past ? el('div', { class: 'words' }, `earliest ${p.remaining.past}`) : null,
        ),
        el('td', { 'data-label': 'Credentials from', class: 'wrap' }, p.credentialsFrom),
      ),
    );
    $('providers').replaceChildren(
      table('Providers', ['Provider', 'Requests use now', 'All its profiles', 'Credentials from'], rows),
    );
  }

  /** What a provider's requests use now and how the check judges it, in
   * the words of `models status`; providers the models do not use say so. */
  function usedNowCell(used) {
    if (!used) return el('span', { class: 'meta' }, 'not used by the configured models');
    return [
      statusBadge(used.badge),
      used.via ? [' ', el('span', { class: 'via' }, breakable(used.via))] : el('span', { class: 'words' }, ' no usable credential'),
      used.words ? el('div', { class: 'words' }, used.words) : null,
    ];
  }

  function renderProfiles(profiles) {
    if (profiles.total === 0) {
      const filtered = state.view && state.view.only !== 'all';
      $('profiles').replaceChildren(emptyNote(filtered ? 'No profile has that status.' : 'No profiles.'));
      return;
    }
    const rows = profiles.rows.map((p) =>
      el(
        'tr',
        { dataset: { profileId: p.profile.id, status: p.badge.status }, class: p.problem ? 'problem' : null },
        el('th', { scope: 'row' }, breakable(p.label)),
        el(
          'td',
          { 'data-label': 'Credential' },
          `${p.provider} · ${p.type}${p.secretRef ? ` (ref ${p.secretRef.ref}: ${p.secretRef.state})` : ''} · ${p.source}`,
        ),
        el(
          'td',
          { 'data-label': 'Status' },
          statusBadge(p.badge),
          p.role ? el('span', { class: `role role-${p.role.replace(' ', '-')}` }, p.role) : null,
          el('div', { class: 'words' }, p.words),
        ),
        el('td', { 'data-label': 'Expires in' }, remainingCell(p.remaining)),
        el('td', { 'data-label': 'Reason' }, p.reasonCode),
        el('td', { 'data-label': 'Back-off' }, p.backoff || ''),
        el('td', { 'data-label': 'Fix', class: 'fix' }, p.recoveryHint || ''),
        LIVE ? el('td', { 'data-label': 'Actions', class: 'actions' }, profileActions(p)) : null,
      ),
    );
    const headings = ['Profile', 'Credential', 'Status', 'Expires in', 'Reason', 'Back-off', 'Fix'];
    $('profiles').replaceChildren(
      table('Profiles', LIVE ? [...headings, 'Actions'] : headings, rows),
      pager(profiles) || '',
    );
  }

  function renderMissing(missing) {
    $('missing').replaceChildren(
      missing.length === 0
        ? emptyNote('None: every provider the configured models use has credentials.')
        : el(
            'ul',
            { class: 'plain' },
            missing.map((m) => el('li', { dataset: { provider: m.provider.id } }, statusBadge(m.badge), ` ${m.provider.shown}`)),
          ),
    );
  }

  function renderCooldowns(cooldowns) {
    if (cooldowns.total === 0) {
      $('cooldowns').replaceChildren(emptyNote('No profile is cooling down.'));
      return;
    }
    const rows = cooldowns.rows.map((u) =>
      el(
        'tr',
        { dataset: { profileId: u.profile.id } },
        el('th', { scope: 'row' }, breakable(u.profile.shown)),
        el('td', { 'data-label': 'Kind' }, u.text),
        el('td', { 'data-label': 'Usable again in' }, remainingCell(u.remaining)),
        LIVE
          ? el(
              'td',
              { 'data-label': 'Actions', class: 'actions' },
              verbButton(`Clear the cooldown of ${u.profile.shown}`, 'Clear', {
                verb: 'cooldownClear',
                profileId: u.profile.id,
              }),
            )
          : null,
      ),
    );
    const headings = ['Profile', 'Kind', 'Usable again in'];
    $('cooldowns').replaceChildren(
      table('Profiles in cooldown', LIVE ? [...headings, 'Actions'] : headings, rows),
      more(cooldowns, 'profiles') || '',
    );
  }

  function issueItem(issue) {
    return el(
      'li',
      { dataset: { profileId: issue.profile.id } },
      statusBadge(issue.badge),
      ` ${issue.profile.shown}`,
      issue.remaining ? ` (${issue.remaining})` : '',
      issue.hint ? el('span', { class: 'hint' }, ` ${issue.hint}`) : null,
    );
  }

  /** One of doctor's findings: its severity, what it is, where, and the fix. */
  function findingItem(finding) {
    return el(
      'li',
      { class: `finding severity-${finding.severity}`, dataset: { checkId: finding.checkId } },
      el('span', { class: 'severity' }, finding.severity),
      finding.path ? ' ' : '',
      finding.path ? el('span', { class: 'file' }, finding.path) : null,
      `: ${finding.message}`,
      finding.fixHint ? el('span', { class: 'hint' }, ` fix: ${finding.fixHint}`) : null,
    );
  }

  function renderDoctor(doctor) {
    const parts = [];
    const section = (heading, content) => parts.push(el('h3', {}, heading), content);
    section(
      'Changes',
      doctor.changes.length ? el('ul', {}, doctor.changes.map((c) => el('li', {}, c))) : emptyNote('Nothing to change.'),
    );
    if (doctor.nothingNeeded) {
      section('Needs a human', emptyNote('Nothing needs a human.'));
    } else if (doctor.problems.length === 0 && doctor.needsHuman.total === 0) {
      section('Needs a human', emptyNote('See what doctor also found, below.'));
    } else {
      section(
        'Needs a human',
        el(
          'div',
          {},
          el(
            'ul',
            { class: 'plain' },
            doctor.problems.map((p) => el('li', { class: 'problem' }, p)),
            doctor.needsHuman.rows.map(issueItem),
          ),
          more(doctor.needsHuman, 'logins'),
        ),
      );
    }
    if (doctor.refreshesItself.total) {
      section(
        'Refreshed on use, nothing to do',
        el('div', {}, el('ul', { class: 'plain' }, doctor.refreshesItself.rows.map(issueItem)), more(doctor.refreshesItself, 'logins')),
      );
    }
    if (doctor.cooldowns.total) {
      section(
        'Cooldowns',
        el('div', {}, el('ul', {}, doctor.cooldowns.rows.map((c) => el('li', {}, c))), more(doctor.cooldowns, 'profiles')),
      );
    }
    if (doctor.findings.total) {
      section(
        'Doctor also found',
        el('div', {}, el('ul', { class: 'plain' }, doctor.findings.rows.map(findingItem)), more(doctor.findings, 'findings')),
      );
    }
    $('doctor').replaceChildren(...parts);
  }

  function renderDiagnostics(view) {
    const diagnostics = view.diagnostics;
    const card = $('diagnostics').closest('section');
    card.classList.toggle('has-errors', diagnostics.some((d) => d.severity === 'error'));
    if (diagnostics.length === 0) {
      $('diagnostics').replaceChildren(emptyNote('No problems reading the files.'));
      return;
    }
    const lead = view.storeUnreadable
      ? el('p', { class: 'error', role: 'alert' }, 'The store could not be read: nothing below comes from it.')
      : null;
    const items = diagnostics.map((d) =>
      el(
        'li',
        { class: `severity-${d.severity}` },
        el('span', { class: 'severity' }, d.severity),
        ' ',
        el('span', { class: 'file' }, d.file),
        d.field ? el('span', { class: 'field' }, ` ${d.field}`) : null,
        `: ${d.message}`,
        ...(d.hints || []).map((h) => el('span', { class: 'hint' }, ` hint: ${h}`)),
      ),
    );
    $('diagnostics').replaceChildren(...[lead, el('ul', { class: 'plain diagnostics' }, items)].filter(Boolean));
  }

  function renderOrder(orders) {
    if (orders.length === 0) {
      $('order').replaceChildren(emptyNote('No profiles to order.'));
      return;
    }
    const groups = orders.map((order) => {
      const provider = order.provider.id;
      const headingId = `order-${cssId(provider)}`;
      const last = order.editable.total - 1;
      return el(
        'div',
        { class: 'order-group', dataset: { provider, effective: JSON.stringify(order.effective.rows) } },
        el('h3', { id: headingId }, order.provider.shown),
        el('p', { class: 'meta' }, order.note),
        el(
          'ol',
          { 'aria-labelledby': headingId },
          order.editable.rows.map((entry, index) =>
            el(
              'li',
              { dataset: { profileId: entry.profile.id } },
              el('span', { class: 'order-position', 'aria-hidden': 'true' }, `${index + 1}.`),
              el('span', { class: 'order-id' }, breakable(entry.profile.shown)),
              entry.backingOff ? el('span', { class: 'tag' }, ` ${entry.backingOff}`) : null,
              el(
                'span',
                { class: 'order-buttons' },
                moveButton(order, entry, -1, index === 0),
                moveButton(order, entry, 1, index === last),
              ),
            ),
          ),
        ),
        more(order.editable, 'profiles'),
        order.effectiveNote ? el('p', { class: 'meta effective-order' }, order.effectiveNote) : null,
        LIVE && order.stored
          ? verbButton(`Clear the ${order.provider.shown} order`, 'Clear this order', {
              verb: 'orderClear',
              provider,
            })
          : null,
      );
    });
    $('order').replaceChildren(...groups);
  }

  function moveButton(order, entry, delta, disabled) {
    const direction = delta < 0 ? 'up' : 'down';
    const provider = order.provider.id;
    return el(
      'button',
      {
        type: 'button',
        class: 'move',
        'aria-label': `Move ${entry.profile.shown} ${direction} in the ${order.provider.shown} order`,
        disabled,
        dataset: { move: direction, provider, profileId: entry.profile.id },
        onclick: () => (LIVE ? liveMove(provider, entry.profile.id, delta) : move(provider, entry.profile.id, delta)),
      },
      delta < 0 ? '↑ Up' : '↓ Down',
    );
  }

  /** An element id made from any text (ids in the view are data, not markup). */
  function cssId(text) {
    return Array.from(text, (c) => (/[A-Za-z0-9_-]/.test(c) ? c : `_${c.codePointAt(0).toString(16)}`)).join('');
  }

  // ------------------------------------------------------------- reordering

  /** Asks the core to move one profile in the order it shows, and keeps
   * the store it answers (to download). One call: the core answers the
   * store it wrote and the view of it. */
  function move(provider, profileId, delta) {
    let failed = null;
    show(() => {
      const answer = sessionCall('moveInOrder', { provider, profileId, by: delta, now: Date.now(), view: viewAsked() });
      if (answer.error || !answer.view) {
        failed = answer.error || 'no view in the answer';
        return null; // the files are as they were, and so is the page
      }
      const previousName = state.files.store ? state.files.store.name : 'auth-profiles.json';
      // The session holds the store written (storeText() takes it when needed).
      state.files.store = { name: previousName, text: null };
      state.storeEdited = true;
      $('download-store').disabled = false;
      return answer;
    });
    if (failed) {
      $('order-status').textContent = `Could not set the order: ${failed}`;
      return;
    }
    const group = (state.view.orders || []).find((o) => o.provider.id === provider);
    const shownOrder = group ? group.editable.rows.map((e) => e.profile.shown).join(', ') : '';
    $('order-status').textContent = `${group ? group.provider.shown : ''} order: ${shownOrder}. Download auth-profiles.json to keep it.`;
    // Keep keyboard focus on the profile that moved.
    const moved = profileId;
    const buttons = Array.from(document.querySelectorAll('#order button.move')).filter(
      (b) => b.dataset.provider === provider && b.dataset.profileId === moved,
    );
    const preferred = buttons.find((b) => b.dataset.move === (delta < 0 ? 'up' : 'down') && !b.disabled);
    const focusable = preferred || buttons.find((b) => !b.disabled);
    if (focusable) focusable.focus();
  }

  function downloadStore() {
    const text = storeText();
    if (text === null) return;
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = el('a', { href: url, download: 'auth-profiles.json', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ------------------------------------------------------------------- live

  /** The page's token, from the #fragment `clawdbot panel` printed; taken
   * out of the address bar at once (no history entry keeps it). */
  function takeToken() {
    const match = /^#token=([0-9a-f]+)$/.exec(location.hash);
    if (!match) return null;
    history.replaceState(null, '', location.pathname + location.search);
    return match[1];
  }

  /** Trades the token for the session cookie (same origin, JSON, once). */
  async function signIn(token) {
    const response = await fetch('api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    if (response.ok) return null;
    const answer = await response.json().catch(() => ({}));
    return answer.error || `sign-in refused (${response.status})`;
  }

  function liveState(text) {
    $('live-state').textContent = text;
  }

  /** One view from the host: its files read now, the native core's view. */
  async function liveRefresh() {
    const started = performance.now();
    const query =
      `rows=${ROW_LIMIT}&from=${state.from}&text=${textShown() ? 1 : 0}&only=${encodeURIComponent(state.only)}`;
    liveState('Reading…');
    let answer;
    let status = 0;
    try {
      const response = await fetch(`api/view?${query}`, { headers: { Accept: 'application/json' } });
      status = response.status;
      answer = await response.json();
    } catch (error) {
      answer = { error: `the panel did not answer: ${error.message}` };
    }
    stats.computeMs = performance.now() - started;
    state.renderedAt = Date.now();
    if (status === 200 && answer.view) {
      state.view = answer.view;
      state.live = answer.live;
      state.error = null;
      $('core-version').textContent = `${answer.live.version} (on the host)`;
      liveState('');
    } else {
      state.error = answer.error || `the panel answered ${status}`;
      liveState(state.error);
    }
    const drawn = performance.now();
    renderAll();
    stats.renderMs = performance.now() - drawn;
    stats.refreshes += 1;
  }

  /** A button that runs one verb on the host. */
  function verbButton(label, text, body) {
    return el(
      'button',
      { type: 'button', class: 'secondary verb', 'aria-label': label, dataset: { verb: body.verb }, onclick: () => runVerb(body) },
      text,
    );
  }

  /** Each action a profile row can offer (the core says which it does):
   * its button's label for a screen reader and its text. */
  const PROFILE_ACTIONS = {
    cooldownClear: (name) => [`Clear the cooldown of ${name}`, 'Clear cooldown'],
    refresh: (name) => [`Refresh ${name} now`, 'Refresh'],
    remove: (name) => [`Remove ${name}`, 'Remove'],
  };

  function profileActions(p) {
    return (p.actions || [])
      .filter((verb) => PROFILE_ACTIONS[verb])
      .map((verb) => {
        const [label, text] = PROFILE_ACTIONS[verb](p.profile.shown);
        return verbButton(label, text, { verb, profileId: p.profile.id });
      });
  }

  async function postVerb(body) {
    try {
      const response = await fetch('api/verb', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      return response.ok ? answer : { error: answer.error || `the panel answered ${response.status}` };
    } catch (error) {
      return { error: `the panel did not answer: ${error.message}` };
    }
  }

  /** Runs one verb: a question the command asks (the CLI's own words) is
   * asked here, and the verb sent again with the answer; a secret is taken
   * from `secretField` only when the command asks for it, sent once, and
   * the field emptied. Then the host is read again. */
  async function runVerb(body, secretField) {
    if (state.busy) return;
    state.busy = true;
    try {
      let asked = { ...body };
      let answer = await postVerb(asked);
      let secretSent = false;
      for (;;) {
        if (answer.confirm) {
          if (!window.confirm(answer.confirm)) {
            showResult({ command: answer.command, cancelled: true });
            return;
          }
          asked = { ...asked, confirm: answer.confirm };
        } else if (answer.secret) {
          const secret = secretField ? secretField.value : '';
          if (secretSent || !secret) {
            showResult({ command: answer.command, error: `${answer.secret}: fill in the secret field` });
            return;
          }
          secretField.value = '';
          secretSent = true;
          asked = { ...asked, secret };
        } else {
          break;
        }
        answer = await postVerb(asked);
      }
      showResult(answer);
      await liveRefresh();
    } finally {
      state.busy = false;
    }
  }

  /** What the command said, as the CLI would print it. */
  function showResult(answer) {
    const box = $('verb-result');
    box.hidden = false;
    const ok = answer.ok === true;
    box.className = `verb-result ${ok ? 'verb-ok' : 'verb-failed'}`;
    const head = answer.cancelled
      ? `Not run: ${answer.command}`
      : answer.error
        ? `${answer.command ? `${answer.command}: ` : ''}${answer.error}`
        : `Ran ${answer.command}: ${ok ? 'done' : `exit ${answer.exit}`}`;
    box.replaceChildren(
      el('p', { class: 'verb-head' }, head),
      (answer.lines || []).length
        ? el('pre', { class: 'verb-lines' }, answer.lines.map((l) => l.text).join('\n'))
        : null,
    );
  }

  function liveMove(provider, profileId, delta) {
    runVerb({ verb: 'orderMove', provider, profileId, by: delta });
  }

  function wireLive() {
    $('lede-files').hidden = true;
    $('lede-live').hidden = false;
    $('files-card').hidden = true;
    $('download-part').hidden = true;
    $('live').hidden = false;
    $('add-card').hidden = false;
    $('live-refresh').addEventListener('click', () => liveRefresh());
    $('add-kind').addEventListener('change', () => {
      $('add-expires-label').hidden = $('add-kind').value !== 'pasteToken';
    });
    $('add-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const kind = $('add-kind').value;
      const body = { verb: kind, provider: $('add-provider').value.trim(), profileId: $('add-profile').value.trim() };
      if (kind === 'pasteToken') body.expiresIn = $('add-expires').value.trim();
      runVerb(body, $('add-secret'));
    });
    $('status-text')
      .closest('details')
      .addEventListener('toggle', () => {
        if (textShown()) liveRefresh();
      });
  }

  // ------------------------------------------------------------------ files

  /** Which role a dropped file plays: the core decides, from name and content. */
  function kindOf(name, text) {
    const answer = call({ op: 'identify', name, text });
    return answer.role || 'config';
  }

  function take(role, name, text) {
    filesChanged();
    state.files[role] = { name, text };
    if (role === 'store') {
      state.storeEdited = false;
      state.from = 0;
    }
  }

  function wireFiles() {
    for (const role of roles()) {
      const input = $(`file-${role}`);
      input.addEventListener('change', async () => {
        const file = input.files && input.files[0];
        if (!file) return;
        take(role, file.name, await file.text());
        refresh();
      });
    }
    const zone = $('drop-zone');
    for (const type of ['dragenter', 'dragover']) {
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        zone.classList.add('dragging');
      });
    }
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', async (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      const known = new Set(roles());
      for (const file of Array.from(event.dataTransfer.files || [])) {
        const text = await file.text();
        const role = kindOf(file.name, text);
        if (known.has(role)) take(role, file.name, text);
      }
      refresh();
    });
    $('clear-files').addEventListener('click', () => {
      filesChanged();
      for (const role of roles()) {
        state.files[role] = null;
        $(`file-${role}`).value = '';
      }
      state.storeEdited = false;
      state.from = 0;
      state.only = 'all';
      $('download-store').disabled = true;
      $('order-status').textContent = '';
      refresh();
    });
    $('download-store').addEventListener('click', downloadStore);
    $('status-text')
      .closest('details')
      .addEventListener('toggle', () => {
        if (textShown() && anyFileLoaded()) refresh();
      });
  }

  // ------------------------------------------------------------------ clock

  function tick() {
    const now = Date.now();
    if ((LIVE || anyFileLoaded()) && now - state.renderedAt >= REFRESH_EVERY_MS && !state.busy) {
      refresh(true);
      return;
    }
    for (const node of document.querySelectorAll('[data-expires-at]')) updateRemaining(node, now);
  }

  async function initLive() {
    wireLive();
    const token = takeToken();
    const refused = token ? await signIn(token) : null;
    await liveRefresh();
    // A used or old link is no trouble while this browser is signed in.
    if (refused && !state.view) liveState(refused);
    setInterval(tick, 1000);
    document.body.dataset.ready = '1';
  }

  async function init() {
    if (LIVE) {
      await initLive();
      return;
    }
    try {
      core = await loadCore();
    } catch (error) {
      const message = $('load-error');
      message.hidden = false;
      message.textContent =
        `The status engine (WebAssembly) could not be loaded: ${error.message}. ` +
        'Open this page from the folder it was built into (dist/web), over http or as a file.';
      $('core-version').textContent = 'not loaded';
      document.body.dataset.ready = 'error';
      return;
    }
    $('core-version').textContent = core.version();
    wireFiles();
    refresh();
    setInterval(tick, 1000);
    document.body.dataset.ready = '1';
  }

  // For tests and the curious: the display helpers and the refresh statistics.
  window.clawdbotPanel = { formatRemainingShort, formatCountdown, kindOf, stats, live: LIVE };

  init();
})();
