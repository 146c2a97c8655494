// The admin panel: reads credential files the operator picks, asks the core
// (WebAssembly, same code as the CLI) for the status, and renders it.
// No framework and no network: the only fetch is the .wasm file next to
// this page. Secrets never leave the page: they go into the core's request
// and the core's report masks them; this file never renders store values.
//
// A classic script (not a module) so that it also runs from file://, where
// browsers refuse module scripts and fetch(); there it loads the
// `offline/` build (classic glue + the module's bytes as base64).
'use strict';

(function () {
  /** Where each file lives relative to HOME, as the core expects it. */
  const HOME_PATHS = {
    store: '.clawdbot/agents/main/agent/auth-profiles.json',
    claude: '.claude/.credentials.json',
    codex: '.codex/auth.json',
    config: '.clawdbot/clawdbot.json',
  };
  const KINDS = Object.keys(HOME_PATHS);
  const CHECK_TEXT = {
    0: 'OK: every credential is usable',
    1: 'Action needed: a credential is expired, missing or unreadable',
    2: 'Expiring: a credential expires soon',
  };
  const STATUS_ICON = { ok: '✓', expiring: '⚠', expired: '✗', missing: '?', static: '●' };
  const REFRESH_EVERY_MS = 60000;

  let core = null; // { handle(string): string, formatRemainingShort(number): string, version(): string }
  const state = {
    files: { store: null, claude: null, codex: null, config: null }, // kind -> { name, text }
    storeEdited: false, // the store text came from setOrder
    status: null, // the last renderText response
    doctor: null, // the last doctorPreview response
    renderedAt: 0,
    warnAfterMs: 86400000,
  };

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
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  /** The core's formatRemainingShort (spec 2.9), for live countdowns: the
   * rule lives in Rust only, exported by the wasm module. */
  function formatRemainingShort(ms) {
    return core.formatRemainingShort(typeof ms === 'number' ? ms : NaN);
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

  /** An instant as ISO text; far-out or non-finite values as they are. */
  function formatInstant(ms) {
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return String(ms);
    return new Date(ms).toISOString().replace('.000Z', 'Z');
  }

  function statusBadge(status) {
    const word = status === 'missing' ? 'unknown' : status;
    return el(
      'span',
      { class: `badge status-${status}` },
      el('span', { class: 'badge-icon', 'aria-hidden': 'true' }, STATUS_ICON[status] || '•'),
      ` ${word}`,
    );
  }

  /** A live "expires in" cell: re-rendered every second from `expiresAt`. */
  function remainingCell(expiresAt, remainingMs) {
    if (typeof expiresAt !== 'number') {
      return el('span', { class: 'remaining' }, remainingMs === undefined ? '—' : formatRemainingShort(remainingMs));
    }
    const node = el('span', { class: 'remaining', dataset: { expiresAt: String(expiresAt) } });
    updateRemaining(node, Date.now());
    return node;
  }

  function updateRemaining(node, now) {
    const expiresAt = Number(node.dataset.expiresAt);
    const left = expiresAt - now;
    node.replaceChildren(
      el('span', { class: 'remaining-short' }, formatRemainingShort(left)),
      el('span', { class: 'remaining-precise' }, formatCountdown(left)),
    );
    node.title = `expires ${formatInstant(expiresAt)}`;
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

  function call(request) {
    try {
      return JSON.parse(core.handle(JSON.stringify(request)));
    } catch (error) {
      return { error: `the core's answer could not be read: ${error.message}` };
    }
  }

  function home() {
    const files = {};
    for (const kind of KINDS) {
      if (state.files[kind]) files[HOME_PATHS[kind]] = state.files[kind].text;
    }
    return files;
  }

  function request(op, extra) {
    return Object.assign({ op, now: Date.now(), warnAfterMs: state.warnAfterMs, env: {}, home: home() }, extra);
  }

  function anyFileLoaded() {
    return KINDS.some((kind) => state.files[kind]);
  }

  // ----------------------------------------------------------------- render

  function refresh() {
    // Re-rendering replaces the order buttons; keep focus on the same one.
    const focused = document.activeElement;
    const focusKey = focused && focused.dataset && focused.dataset.move ? { ...focused.dataset } : null;
    if (anyFileLoaded()) {
      state.status = call(request('renderText'));
      state.doctor = call(request('doctorPreview'));
      state.renderedAt = Date.now();
    } else {
      state.status = null;
      state.doctor = null;
    }
    renderAll();
    if (focusKey) {
      const again = Array.from(document.querySelectorAll('#order button.move')).find(
        (b) =>
          b.dataset.move === focusKey.move && b.dataset.provider === focusKey.provider && b.dataset.profileId === focusKey.profileId,
      );
      if (again && !again.disabled) again.focus();
    }
  }

  function renderAll() {
    renderFileStates();
    const response = state.status;
    const sections = ['providers', 'profiles', 'missing', 'cooldowns', 'doctor', 'diagnostics', 'order'];
    if (!response) {
      renderCheck(null, 'Load a credential file to see the status.');
      for (const id of sections) $(id).replaceChildren(emptyNote('Nothing loaded yet.'));
      $('status-text').textContent = '';
      $('checked-at').textContent = '';
      return;
    }
    if (response.error) {
      renderCheck(null, `The core could not check these files: ${response.error}`);
      for (const id of sections) $(id).replaceChildren(emptyNote('No result.'));
      $('status-text').textContent = '';
      return;
    }
    const report = response.report || {};
    const auth = report.auth || {};
    renderCheck(response.check);
    $('checked-at').textContent = `Checked ${formatInstant(state.renderedAt)}; rechecked every minute.`;
    renderProviders(auth);
    renderProfiles(auth);
    renderMissing(auth);
    renderCooldowns(auth);
    renderDoctor(state.doctor);
    renderDiagnostics(response.diagnostics || []);
    renderOrder(response.order || {}, auth);
    $('status-text').textContent = typeof response.text === 'string' ? response.text : '';
  }

  function renderFileStates() {
    for (const kind of KINDS) {
      const file = state.files[kind];
      let text = 'Not loaded';
      if (file) {
        text = kind === 'store' && state.storeEdited ? `${file.name}: reordered here, not saved yet` : `Loaded ${file.name}`;
      }
      $(`file-${kind}-state`).textContent = text;
    }
  }

  function renderCheck(code, message) {
    const box = $('check-result');
    const known = code === 0 || code === 1 || code === 2;
    const text = known ? CHECK_TEXT[code] : message;
    const codeText = known ? String(code) : '–';
    box.className = `check check-${known ? code : 'none'}`;
    box.dataset.check = known ? String(code) : '';
    // Touch the live region only when something changed, so screen readers
    // do not announce the minute re-check.
    if ($('check-code').textContent !== codeText) $('check-code').textContent = codeText;
    if ($('check-text').textContent !== text) $('check-text').textContent = text;
  }

  function renderProviders(auth) {
    const health = (auth.oauth && auth.oauth.providers) || [];
    const overview = new Map((auth.providers || []).map((p) => [p.provider, p]));
    const missing = new Set(auth.missingProvidersInUse || []);
    const names = [...new Set([...health.map((p) => p.provider), ...overview.keys(), ...missing])].sort();
    if (names.length === 0) {
      $('providers').replaceChildren(emptyNote('No providers.'));
      return;
    }
    const byName = new Map(health.map((p) => [p.provider, p]));
    const rows = names.map((name) => {
      const rollup = byName.get(name);
      const effective = overview.get(name) && overview.get(name).effective;
      const status = rollup ? rollup.status : 'missing';
      return el(
        'tr',
        { dataset: { provider: name, status } },
        el('th', { scope: 'row' }, name, missing.has(name) ? el('span', { class: 'tag' }, ' in use, no credentials') : null),
        el('td', {}, statusBadge(status)),
        el('td', {}, rollup ? remainingCell(rollup.expiresAt, rollup.remainingMs) : '—'),
        el('td', {}, rollup ? String((rollup.profiles || []).length) : '0'),
        el('td', {}, effective ? `${effective.kind}${effective.detail ? `: ${effective.detail}` : ''}` : 'missing'),
      );
    });
    $('providers').replaceChildren(
      table('Providers', ['Provider', 'Status', 'Expires in', 'Profiles', 'Credentials from'], rows),
    );
  }

  function renderProfiles(auth) {
    const profiles = (auth.oauth && auth.oauth.profiles) || [];
    if (profiles.length === 0) {
      $('profiles').replaceChildren(emptyNote('No profiles.'));
      return;
    }
    const rows = profiles.map((p) =>
      el(
        'tr',
        { dataset: { profileId: p.profileId, status: p.status } },
        el('th', { scope: 'row' }, p.label || p.profileId),
        el('td', {}, p.provider),
        el('td', {}, p.type),
        el('td', {}, p.source),
        el('td', {}, statusBadge(p.status)),
        el('td', {}, p.status === 'static' ? '—' : remainingCell(p.expiresAt, p.remainingMs)),
      ),
    );
    $('profiles').replaceChildren(table('Profiles', ['Profile', 'Provider', 'Type', 'Source', 'Status', 'Expires in'], rows));
  }

  function renderMissing(auth) {
    const missing = auth.missingProvidersInUse || [];
    $('missing').replaceChildren(
      missing.length === 0
        ? emptyNote('None: every provider the configured models use has credentials.')
        : el('ul', { class: 'plain' }, missing.map((p) => el('li', { dataset: { provider: p } }, statusBadge('missing'), ` ${p}`))),
    );
  }

  function renderCooldowns(auth) {
    const unusable = auth.unusableProfiles || [];
    if (unusable.length === 0) {
      $('cooldowns').replaceChildren(emptyNote('No profile is cooling down.'));
      return;
    }
    const rows = unusable.map((u) =>
      el(
        'tr',
        { dataset: { profileId: u.profileId } },
        el('th', { scope: 'row' }, u.profileId),
        el('td', {}, u.kind + (u.reason ? ` (${u.reason})` : '')),
        el('td', {}, remainingCell(u.until, u.remainingMs)),
      ),
    );
    $('cooldowns').replaceChildren(table('Profiles in cooldown', ['Profile', 'Kind', 'Usable again in'], rows));
  }

  function renderDoctor(response) {
    if (!response || response.error || !response.doctor) {
      $('doctor').replaceChildren(emptyNote(response && response.error ? `No preview: ${response.error}` : 'No preview.'));
      return;
    }
    const doctor = response.doctor;
    const parts = [];
    const changes = doctor.changes || [];
    parts.push(el('h3', {}, 'Changes'));
    parts.push(changes.length ? el('ul', {}, changes.map((c) => el('li', {}, c))) : emptyNote('Nothing to change.'));
    const issues = doctor.issues || [];
    parts.push(el('h3', {}, 'Needs a human'));
    parts.push(
      issues.length
        ? el(
            'ul',
            { class: 'plain' },
            issues.map((i) =>
              el(
                'li',
                { dataset: { profileId: i.profileId } },
                statusBadge(i.status),
                ` ${i.profileId}`,
                typeof i.remainingMs === 'number' ? ` (${formatRemainingShort(i.remainingMs)})` : '',
                i.hint ? el('span', { class: 'hint' }, ` ${i.hint}`) : null,
              ),
            ),
          )
        : emptyNote('Nothing.'),
    );
    const cooldowns = doctor.cooldowns || [];
    if (cooldowns.length) {
      parts.push(el('h3', {}, 'Cooldowns'));
      parts.push(el('ul', {}, cooldowns.map((c) => el('li', {}, c))));
    }
    $('doctor').replaceChildren(...parts);
  }

  function renderDiagnostics(diagnostics) {
    if (diagnostics.length === 0) {
      $('diagnostics').replaceChildren(emptyNote('No problems reading the files.'));
      return;
    }
    const rows = diagnostics.map((d) =>
      el(
        'tr',
        { class: `severity-${d.severity}` },
        el('td', {}, d.severity),
        el('td', {}, d.file || ''),
        el('td', {}, d.field || ''),
        el('td', {}, d.message),
      ),
    );
    $('diagnostics').replaceChildren(table('Diagnostics', ['Severity', 'File', 'Field', 'Message'], rows));
  }

  /**
   * The order stored in auth-profiles.json for `provider`, if any. Only the
   * `order` lists of the store are read here, never a credential.
   */
  function storedOrder(response, provider) {
    const stored = response.store && response.store.order;
    if (!stored || typeof stored !== 'object') return null;
    const key = (p) => String(p).trim().toLowerCase();
    for (const [name, list] of Object.entries(stored)) {
      if (key(name) === key(provider) && Array.isArray(list)) {
        const ids = list.filter((id) => typeof id === 'string');
        if (ids.length) return ids;
      }
    }
    return null;
  }

  /** The list the operator edits: the stored order, else the one in use now. */
  function editableOrder(provider) {
    const response = state.status || {};
    return storedOrder(response, provider) || (response.order || {})[provider] || [];
  }

  function renderOrder(order, auth) {
    const providers = Object.keys(order).sort();
    if (providers.length === 0) {
      $('order').replaceChildren(emptyNote('No profiles to order.'));
      return;
    }
    const cooling = new Map((auth.unusableProfiles || []).map((u) => [u.profileId, u]));
    const groups = providers.map((provider) => {
      const stored = storedOrder(state.status, provider);
      const ids = editableOrder(provider);
      const inUse = order[provider] || [];
      const headingId = `order-${cssId(provider)}`;
      return el(
        'div',
        { class: 'order-group', dataset: { provider, effective: JSON.stringify(inUse) } },
        el('h3', { id: headingId }, provider),
        el(
          'p',
          { class: 'meta' },
          stored ? 'Order set in auth-profiles.json.' : 'No order set: shown is the order the gateway would use now.',
        ),
        el(
          'ol',
          { 'aria-labelledby': headingId },
          ids.map((id, index) =>
            el(
              'li',
              { dataset: { profileId: id } },
              el('span', { class: 'order-position', 'aria-hidden': 'true' }, `${index + 1}.`),
              el('span', { class: 'order-id' }, id),
              cooling.has(id) ? el('span', { class: 'tag' }, ` ${cooling.get(id).kind}`) : null,
              el(
                'span',
                { class: 'order-buttons' },
                moveButton(provider, id, index, -1, index === 0),
                moveButton(provider, id, index, 1, index === ids.length - 1),
              ),
            ),
          ),
        ),
        inUse.join('\n') !== ids.join('\n')
          ? el('p', { class: 'meta effective-order' }, `Tried now in this order (cooling down last): ${inUse.join(', ')}`)
          : null,
      );
    });
    $('order').replaceChildren(...groups);
  }

  function moveButton(provider, id, index, delta, disabled) {
    const direction = delta < 0 ? 'up' : 'down';
    return el(
      'button',
      {
        type: 'button',
        class: 'move',
        'aria-label': `Move ${id} ${direction} in the ${provider} order`,
        disabled,
        dataset: { move: direction, provider, profileId: id },
        onclick: () => move(provider, index, delta),
      },
      delta < 0 ? '↑ Up' : '↓ Down',
    );
  }

  function cssId(text) {
    return Array.from(text, (c) => (/[A-Za-z0-9_-]/.test(c) ? c : `_${c.codePointAt(0).toString(16)}`)).join('');
  }

  // ------------------------------------------------------------- reordering

  function move(provider, index, delta) {
    const current = editableOrder(provider);
    const target = index + delta;
    if (target < 0 || target >= current.length) return;
    const next = current.slice();
    [next[index], next[target]] = [next[target], next[index]];
    const answer = call(request('setOrder', { provider, order: next }));
    if (answer.error || typeof answer.storeText !== 'string') {
      $('order-status').textContent = `Could not set the order: ${answer.error || 'no store in the answer'}`;
      return;
    }
    const previousName = state.files.store ? state.files.store.name : 'auth-profiles.json';
    state.files.store = { name: previousName, text: answer.storeText };
    state.storeEdited = true;
    $('download-store').disabled = false;
    refresh();
    $('order-status').textContent = `${provider} order: ${next.join(', ')}. Download auth-profiles.json to keep it.`;
    // Keep keyboard focus on the profile that moved.
    const moved = next[target];
    const buttons = Array.from(document.querySelectorAll('#order button.move')).filter(
      (b) => b.dataset.provider === provider && b.dataset.profileId === moved,
    );
    const preferred = buttons.find((b) => b.dataset.move === (delta < 0 ? 'up' : 'down') && !b.disabled);
    const focusable = preferred || buttons.find((b) => !b.disabled);
    if (focusable) focusable.focus();
  }

  function downloadStore() {
    const file = state.files.store;
    if (!file) return;
    const url = URL.createObjectURL(new Blob([file.text], { type: 'application/json' }));
    const link = el('a', { href: url, download: 'auth-profiles.json', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ------------------------------------------------------------------ files

  /** Which slot a dropped file belongs in: by name, then by content. */
  function kindOf(name, text) {
    const lower = name.toLowerCase();
    if (lower === 'auth-profiles.json') return 'store';
    if (lower === '.credentials.json' || lower === 'credentials.json') return 'claude';
    if (lower === 'clawdbot.json' || lower.endsWith('.json5')) return 'config';
    if (lower === 'auth.json') return 'codex';
    if (/"profiles"\s*:/.test(text)) return 'store';
    if (/"claudeAiOauth"\s*:/.test(text)) return 'claude';
    if (/"tokens"\s*:/.test(text)) return 'codex';
    return 'config';
  }

  async function loadFile(kind, file) {
    state.files[kind] = { name: file.name, text: await file.text() };
    if (kind === 'store') state.storeEdited = false;
  }

  function wireFiles() {
    for (const kind of KINDS) {
      const input = $(`file-${kind}`);
      input.addEventListener('change', async () => {
        const file = input.files && input.files[0];
        if (!file) return;
        await loadFile(kind, file);
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
      for (const file of Array.from(event.dataTransfer.files || [])) {
        const text = await file.text();
        const kind = kindOf(file.name, text);
        state.files[kind] = { name: file.name, text };
        if (kind === 'store') state.storeEdited = false;
      }
      refresh();
    });
    $('clear-files').addEventListener('click', () => {
      for (const kind of KINDS) {
        state.files[kind] = null;
        $(`file-${kind}`).value = '';
      }
      state.storeEdited = false;
      $('download-store').disabled = true;
      $('order-status').textContent = '';
      refresh();
    });
    $('download-store').addEventListener('click', downloadStore);
  }

  // ------------------------------------------------------------------ clock

  function tick() {
    const now = Date.now();
    if (state.status && now - state.renderedAt >= REFRESH_EVERY_MS) {
      refresh();
      return;
    }
    for (const node of document.querySelectorAll('[data-expires-at]')) updateRemaining(node, now);
  }

  async function init() {
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
    renderAll();
    setInterval(tick, 1000);
    document.body.dataset.ready = '1';
  }

  // For tests and the curious: the pure display helpers.
  window.clawdbotPanel = { formatRemainingShort, formatCountdown, kindOf };

  init();
})();
