/* audit.js: /audit, for admins: the audit log (GET /ops/audit), newest
 * first, 100 rows a page ("Older" walks next_cursor), filtered by type,
 * who and a date range; the filters live in the URL and in the "Download
 * CSV" link (format=csv, the same filters). */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  const PAGE = 100;

  /* the types, in the order the filter lists them; a type without a dot
   * matches every type under it */
  const TYPES = [
    ['login', 'Sign-ins (all)'], ['login.succeeded', 'Signed in'], ['login.failed', 'Sign-in failed'],
    ['logout', 'Signed out'], ['session.ended', 'Session ended'], ['invite.created', 'Invite made'],
    ['password.changed', 'Password set'], ['token', 'Tokens (all)'], ['token.created', 'Token made'],
    ['token.revoked', 'Token revoked'], ['staff', 'Staff changes (all)'], ['staff.role_changed', 'Role changed'],
    ['staff.active_changed', 'Activated or deactivated'], ['rule', 'Rules (all)'], ['rule.created', 'Rule made'],
    ['rule.updated', 'Rule changed'], ['rule.deleted', 'Rule deleted'],
    ['renewal_policy.updated', 'Renewal policy changed'], ['sla_calendar.updated', 'SLA calendar changed']];
  const TYPE_LABEL = Object.fromEntries(TYPES);
  const FILTERS = ['type', 'actor', 'from', 'to'];

  const state = {view: {}, rows: [], cursor: null, seq: 0, tokens: new Map()};

  function viewFromUrl() {
    const p = new URLSearchParams(location.search);
    const v = {};
    for (const k of FILTERS) {
      const x = (p.get(k) || '').trim();
      if (x) v[k] = x;
    }
    return v;
  }

  function query(view, extra) {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (view[k]) q.set(k, view[k]);
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    return q.toString();
  }

  function buildFilters() {
    const type = $('f-type');
    type.append(el('option', {value: ''}, 'Everything'));
    for (const [v, label] of TYPES) type.append(el('option', {value: v}, label));
    $('filters').addEventListener('change', () => {
      const v = {};
      for (const k of FILTERS) {
        const x = $('f-' + k).value.trim();
        if (x) v[k] = x;
      }
      setView(v, true);
    });
    $('filters').addEventListener('submit', (ev) => ev.preventDefault());
    $('f-reset').addEventListener('click', () => setView({}, true));
  }

  function renderFilters() {
    for (const k of FILTERS) {
      const c = $('f-' + k);
      const v = state.view[k] || '';
      if (c.tagName === 'SELECT' && v && ![...c.options].some((o) => o.value === v))
        c.append(el('option', {value: v}, k === 'actor' ? actorName(v) : v));
      c.value = v;
    }
    $('csv').setAttribute('href', '/ops/audit?' + query(state.view, {format: 'csv'}));
  }

  function setView(view, push) {
    state.view = view;
    const q = query(view);
    const url = '/audit' + (q ? '?' + q : '');
    if (url !== location.pathname + location.search) {
      if (push) history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    }
    renderFilters();
    load();
  }

  /* ---- names ---- */
  function actorName(a) {
    if (!a) return '';
    if (a.startsWith('token:')) {
      const id = a.slice(6);
      const t = state.tokens.get(id);
      return t ? `${t.name} (API token)` : `API token ${id}`;
    }
    return Ops.staffName(a);
  }

  function staffRef(id) { return id ? Ops.staffName(id) : 'nobody'; }

  function yesNo(b) { return b === true ? 'active' : b === false ? 'inactive' : String(b); }

  /* One line saying what happened, from the row's details. */
  function summary(r) {
    const d = r.details || {};
    const ua = d.user_agent ? ` · ${Ops.userAgentText(d.user_agent)}` : '';
    switch (r.type) {
      case 'login.succeeded':
        if (d.method === 'token') {
          const t = d.token_id && state.tokens.get(d.token_id);
          return (t ? `with the token “${t.name}”` : `with a token${d.token_id ? ' ' + d.token_id : ''}`) + ua;
        }
        if (d.via === 'invite') return 'from an invite link, after setting a password' + ua;
        return `with password as ${d.email || '?'}` + ua;
      case 'login.failed': {
        const who = d.email ? `as ${d.email}: ` : d.method === 'token' ? 'with a token: ' : '';
        const why = {rate_limited: 'too many attempts', wrong_current_password: 'wrong current password when changing it',
                     bad_credentials: d.method === 'token' ? 'not a valid token' : 'wrong email or password'};
        return who + (why[d.reason] || d.reason || 'refused') + ua;
      }
      case 'logout': case 'session.ended':
        return d.session_id ? `session ${d.session_id}` : '';
      case 'invite.created':
        return `for ${staffRef(d.staff_id)}, valid until ${Ops.formatTime(d.expires_at)}`;
      case 'password.changed':
        return `${staffRef(d.staff_id)}, ${d.via === 'invite' ? 'from an invite link' : 'changed by themselves'}`;
      case 'token.created':
        return `“${d.name}” (${d.role})` + (d.staff_id ? ` for ${staffRef(d.staff_id)}` : '') +
          (d.expires_at ? `, expires ${Ops.formatTime(d.expires_at)}` : ', never expires');
      case 'token.revoked':
        return `“${d.name}” (${d.token_id})`;
      case 'staff.role_changed':
        return `${staffRef(d.staff_id)}: ${d.before} → ${d.after}`;
      case 'staff.active_changed':
        return `${staffRef(d.staff_id)}: ${yesNo(d.before)} → ${yesNo(d.after)}`;
      case 'rule.created': case 'rule.updated': case 'rule.deleted':
        return `rule ${d.rule_id || ''}`;
      default:
        return '';
    }
  }

  function typeLabel(r) {
    if (r.type === 'staff.active_changed' && r.details && typeof r.details.after === 'boolean')
      return r.details.after ? 'Activated' : 'Deactivated';
    if (r.type === 'password.changed' && r.details && r.details.via === 'change') return 'Password changed';
    return TYPE_LABEL[r.type] || r.type;
  }

  function row(r) {
    const d = r.details || {};
    const hasMore = Object.keys(d).length > 0;
    const failed = r.type === 'login.failed';
    return el('tr', {class: 'task' + (failed ? ' is-failed' : ''), 'data-id': r.id, 'data-type': r.type},
      el('td', {class: 'c-when', 'data-label': 'When'}, el('time', {datetime: r.at, title: r.at}, Ops.formatTime(r.at))),
      el('td', {class: 'c-type', 'data-label': 'What'},
        el('span', {class: 'type-label'}, typeLabel(r)), el('span', {class: 'sub muted'}, r.type)),
      el('td', {class: 'c-actor', 'data-label': 'Who'}, r.actor ? el('span', {title: r.actor}, actorName(r.actor)) :
        el('span', {class: 'muted'}, '—')),
      el('td', {class: 'c-client', 'data-label': 'From'}, r.client || el('span', {class: 'muted'}, '—')),
      el('td', {class: 'c-details', 'data-label': 'Details'},
        el('span', {class: 'summary'}, summary(r)),
        hasMore ? el('details', {class: 'raw'}, el('summary', {}, 'All details'),
          el('pre', {}, JSON.stringify(d, null, 2))) : null));
  }

  function renderCount() {
    const n = state.rows.length;
    $('count').textContent = n ? `Showing ${n.toLocaleString()} entr${n === 1 ? 'y' : 'ies'}` +
      (state.cursor ? ' (older below)' : '') : '';
    $('empty').hidden = n > 0;
    $('log').hidden = n === 0;
    $('older').hidden = !state.cursor;
  }

  function showError(e) {
    $('error').textContent = e ? `Could not load the log: ${e.message}` : '';
    $('error').hidden = !e;
  }

  async function load() {
    const seq = ++state.seq;
    try {
      const {data} = await api('GET', '/ops/audit?' + query(state.view, {limit: String(PAGE)}));
      if (seq !== state.seq) return;
      state.rows = data.data;
      state.cursor = data.next_cursor;
      $('rows').replaceChildren(...state.rows.map(row));
      renderCount();
      showError(null);
      for (const c of document.querySelectorAll('#filters [aria-invalid]')) c.removeAttribute('aria-invalid');
    } catch (e) {
      if (seq !== state.seq) return;
      if (e.field && FILTERS.includes(e.field)) $('f-' + e.field).setAttribute('aria-invalid', 'true');
      showError(e);
    }
  }

  async function older() {
    if (!state.cursor) return;
    const seq = state.seq;
    const btn = $('older');
    btn.disabled = true;
    try {
      const {data} = await api('GET', '/ops/audit?' + query(state.view, {limit: String(PAGE), cursor: state.cursor}));
      if (seq !== state.seq) return;
      const first = state.rows.length;
      state.rows = state.rows.concat(data.data);
      state.cursor = data.next_cursor;
      $('rows').append(...data.data.map(row));
      renderCount();
      const firstNew = $('rows').querySelectorAll('tr')[first];
      if (firstNew) { firstNew.setAttribute('tabindex', '-1'); firstNew.focus(); }
    } catch (e) {
      showError(e);
    } finally {
      btn.disabled = false;
    }
  }

  async function start() {
    Ops.wireLogout($('logout'));
    let me;
    try {
      me = await Ops.signedIn();
    } catch (e) {
      showError(e);
      return;
    }
    if (!Ops.isAdmin(me)) {
      $('error').textContent = 'Only admins can read the audit log.';
      $('error').hidden = false;
      $('filters').hidden = true;
      $('log').hidden = true;
      $('csv').hidden = true;
      return;
    }
    /* names for the "who" column and its filter: staff, and the tokens */
    await Promise.all([
      Ops.loadStaff().catch(() => null),
      Ops.listAll('/ops/tokens?limit=500', 4).then((ts) => { for (const t of ts) state.tokens.set(t.id, t); })
        .catch(() => null)]);
    const actor = $('f-actor');
    for (const s of Ops.staffList()) actor.append(el('option', {value: s.id}, s.active ? s.name : `${s.name} (inactive)`));
    buildFilters();
    $('older').addEventListener('click', older);
    window.addEventListener('popstate', () => { state.view = viewFromUrl(); renderFilters(); load(); });
    setView(viewFromUrl(), false);
  }

  start();
})();
