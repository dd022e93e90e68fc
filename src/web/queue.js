/* queue.js: /tasks, the queue staff work in all day. What is shown is a GET
 * /ops/tasks query kept in the URL (bookmarkable; the last one is remembered
 * and reopened); views are named queries shown as tabs with their counts
 * (built-in ones here, saved ones from /ops/views); rows are dense, act on
 * the focused or hovered row, and answer the keyboard (j k x Enter s c a e n
 * / ?). Changes come from the `ops:changes` event (live.js) or, without it,
 * a 30 s poll; a refresh keeps focus, selection and scroll. */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  const PAGE = 50, POLL_MS = 30000, SEARCH_MS = 50;
  const KEYS = ['status', 'priority', 'assignee_id', 'user_id', 'sla_state', 'source', 'q', 'sort', 'due_from',
                'due_to', 'completed_from', 'completed_to', 'renewal_id'];
  const ACT = 'OPEN,IN_PROGRESS,OVERDUE';
  const LAST = 'opstasks.queue.view';
  const state = {p: null, tasks: [], cursor: null, me: null, today: null, seq: 0, ready: null, last: 0,
                 selected: new Set(), editing: new Set(), views: [], known: new Map(), changed: new Set()};
  const hasWords = (q) => /[\p{L}\p{N}]/u.test(q || '');
  const list = (v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
  const byId = (id) => state.tasks.find((t) => t.id === id);
  const rowOf = (id) => $('rows').querySelector(`tr.task[data-id="${CSS.escape(id)}"]`);
  const plural = (n, w) => `${n.toLocaleString()} ${w}${n === 1 ? '' : 's'}`;

  /* ---- the query: one canonical form, so a view and the URL compare ---- */
  function canon(src) {
    const p = new URLSearchParams(src), out = new URLSearchParams();
    for (const k of KEYS) { const v = (p.get(k) || '').trim(); if (v) out.set(k, v); }
    const st = (out.get('status') || 'OPEN').toUpperCase();
    const l = st === 'ALL' ? Ops.STATUSES : list(st).filter((s) => Ops.STATUSES.includes(s));
    out.set('status', l.length === 5 ? 'all' : l.length ? Ops.STATUSES.filter((s) => l.includes(s)).join(',') : 'OPEN');
    if (!hasWords(out.get('q'))) out.delete('q');
    const def = out.has('q') ? 'relevance' : 'due_date';
    if (out.get('sort') === def || (out.get('sort') === 'relevance' && !out.has('q'))) out.delete('sort');
    return out;
  }
  const qs = (p) => p.toString().replace(/%2C/g, ',');

  /* the last view, to open it next time; the task page's "back to the queue" link */
  function remember() {
    try {
      localStorage.setItem(LAST, qs(state.p));
      sessionStorage.setItem('opstasks.queue', location.pathname + location.search);
    } catch (e) { /* private mode */ }
  }

  function go(query, push) {
    state.p = canon(query);
    const url = '/tasks?' + qs(state.p);
    if (url !== location.pathname + location.search) history[push ? 'pushState' : 'replaceState'](null, '', url);
    remember();
    state.selected.clear();
    renderFilters();
    renderViews();
    load();
  }

  /* ---- views: built-in (the page's own queries) and saved ---- */
  function builtins() {
    const d = state.today;
    const v = [
      {id: 'mine', name: 'My work', query: `status=${ACT}&assignee_id=me`},
      {id: 'active', name: 'All active', query: `status=${ACT}`},
      {id: 'unassigned', name: 'Unassigned', query: `status=${ACT}&assignee_id=none`},
      {id: 'overdue', name: 'Overdue', query: 'status=OVERDUE'},
      {id: 'sla', name: 'SLA at risk or breached', query: `status=${ACT}&sla_state=at_risk,breached`},
      {id: 'done', name: 'Done today', query: `status=COMPLETED&completed_from=${d}&completed_to=${d}`}];
    return state.me && state.me.staff_id ? v : v.slice(1);
  }

  /* A built-in view's count: the stats under its query without status and
   * sort, summed over its statuses. */
  async function builtinCount(v) {
    const p = canon(v.query);
    const st = p.get('status');
    p.delete('status'); p.delete('sort');
    const {data} = await api('GET', '/ops/tasks/stats?' + qs(p));
    return (st === 'all' ? Ops.STATUSES : list(st)).reduce((n, s) => n + (data.counts[s] || 0), 0);
  }

  async function loadViews() {
    if (!state.today) return;
    const bs = builtins();
    const [counts, saved] = await Promise.all([
      Promise.all(bs.map((v) => builtinCount(v).catch(() => null))),
      api('GET', '/ops/views?counts=true').then(({data}) => data.data).catch(() => [])]);
    bs.forEach((v, i) => { v.count = counts[i]; });
    state.views = bs.concat(saved.map((v) => Object.assign(v, {saved: true})));
    renderViews();
  }

  function currentView() {
    const here = qs(state.p);
    return state.views.find((v) => qs(canon(v.query)) === here) || null;
  }

  function renderViews() {
    const nav = $('views');
    const cur = currentView();
    nav.replaceChildren(...state.views.map((v, i) => {
      const prev = state.views[i - 1];
      const a = el('a', {href: '/tasks?' + qs(canon(v.query)), class: 'view' + (v.saved ? ' view-saved' : '') +
                         (prev && !prev.saved && v.saved ? ' view-first-saved' : ''),
                         'aria-current': v === cur ? 'page' : null,
                         title: v.saved ? (v.shared ? `Shared view by ${v.owner_name || v.owner}` : 'Your view') : null},
        el('bdi', {dir: 'auto'}, v.name), ' ',
        el('span', {class: 'view-count'}, v.count === null || v.count === undefined ? '' : v.count.toLocaleString()));
      a.addEventListener('click', (ev) => {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button) return;
        ev.preventDefault();
        go(v.query, true);
      });
      return a;
    }));
    const mine = cur && cur.saved && (cur.owner === (state.me && state.me.staff_id) || Ops.isAdmin(state.me));
    $('delete-view').hidden = !mine;
  }

  /* ---- filters ---- */
  function option(sel, value, label) {
    if (![...sel.options].some((o) => o.value === value)) sel.append(el('option', {value}, label || value));
    sel.value = value;
  }

  function buildFilters() {
    const form = $('filters');
    form.addEventListener('change', (ev) => {
      if (ev.target.id === 'f-customer') return;
      const p = new URLSearchParams(state.p);
      for (const s of form.querySelectorAll('select[name]')) p.set(s.name, s.value);
      go(p, true);
    });
    form.addEventListener('submit', (ev) => ev.preventDefault());
    state.customer = Ops.picker($('f-customer'), {kind: 'customer', onPick(c) {
      const p = new URLSearchParams(state.p);
      if (c) p.set('user_id', c.id); else p.delete('user_id');
      go(p, true);
    }});
    $('f-reset').addEventListener('click', () => go('status=OPEN', true));
    let timer = 0;
    $('q').addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const p = new URLSearchParams(state.p);
        p.set('q', $('q').value);
        p.delete('sort');
        go(p, false);
      }, SEARCH_MS);
    });
    $('search').addEventListener('submit', (ev) => ev.preventDefault());
    $('q').addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && $('q').value) { $('q').value = ''; $('q').dispatchEvent(new Event('input')); } });
  }

  function renderFilters() {
    const p = state.p;
    const label = (v) => list(v).map((s) => Ops.STATUS_LABEL[s] || Ops.PRIORITY_LABEL[s] || s).join(', ');
    option($('f-status'), p.get('status'), label(p.get('status')));
    option($('f-priority'), p.get('priority') || '', label(p.get('priority')));
    const a = $('f-assignee');
    option(a, p.get('assignee_id') || '', (list(p.get('assignee_id')).map(Ops.staffName)).join(', '));
    for (const k of ['sla_state', 'source']) option($('f-' + (k === 'sla_state' ? 'sla' : k)), p.get(k) || '', p.get(k));
    option($('f-sort'), p.get('sort') || (p.has('q') ? 'relevance' : 'due_date'));
    $('f-sort').querySelector('[value=relevance]').disabled = !p.has('q');
    if (document.activeElement !== $('q')) $('q').value = p.get('q') || '';
    const id = p.get('user_id') || '';
    const cur = state.customer.value();
    if (!id) { if (cur) state.customer.clear(); }
    else if (!cur || cur.id !== id || cur.name === id) state.customer.set({id, name: Ops.customerName(id)});
    const parts = [$('f-status').selectedOptions[0].text];
    for (const s of ['f-priority', 'f-assignee', 'f-sla', 'f-source'])
      if ($(s).value) parts.push($(s).selectedOptions[0].text);
    if (id) parts.push(Ops.customerName(id));
    $('filter-summary').textContent = parts.join(' · ');
  }

  /* ---- stats bar ---- */
  function renderStats(stats) {
    const nav = $('stats');
    const only = state.p.get('status');
    nav.replaceChildren(...Ops.STATUSES.map((s) => {
      const n = stats.counts[s] || 0;
      const b = el('button', {type: 'button', class: `stat stat-${s.toLowerCase()}` + (s === 'OVERDUE' && n ? ' stat-alert' : ''),
                              'aria-pressed': String(only === s), 'data-status': s,
                              'aria-label': `${n.toLocaleString()} ${Ops.STATUS_LABEL[s]}: show only these`},
        el('span', {class: 'stat-count'}, n.toLocaleString()), ' ', el('span', {class: 'stat-label'}, Ops.STATUS_LABEL[s]));
      b.addEventListener('click', () => { const p = new URLSearchParams(state.p); p.set('status', s); go(p, true); });
      return b;
    }));
    const n = stats.sla_breached_active;
    if (n) {
      const q = `status=${ACT}&sla_state=breached`;
      const a = el('a', {class: 'stat-note', href: '/tasks?' + q}, `${n.toLocaleString()} past their SLA`);
      a.addEventListener('click', (ev) => { ev.preventDefault(); go(q, true); });
      nav.append(a);
    }
  }

  /* ---- rows ---- */
  /* text with each word of the search marked where a word of the text begins with it */
  function marked(text) {
    const words = (state.p.get('q') || '').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (!words.length) return [text];
    const esc = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).sort((a, b) => b.length - a.length);
    const re = new RegExp(`(^|[^\\p{L}\\p{N}])(${esc.join('|')})`, 'giu');
    const out = [];
    let at = 0, m;
    while ((m = re.exec(text))) {
      const s = m.index + m[1].length;
      out.push(text.slice(at, s), el('mark', {}, m[2]));
      at = s + m[2].length;
    }
    out.push(text.slice(at));
    return out;
  }

  function statusText(t) {
    return t.status === 'OVERDUE' && t.work_status === 'IN_PROGRESS' ? 'Overdue · in progress' : Ops.STATUS_LABEL[t.status];
  }

  function button(t, act, label, cls) {
    return el('button', {type: 'button', class: 'btn btn-small ' + (cls || ''), 'data-act': act, 'data-k': act,
                         'aria-label': `${label}: ${t.title}`}, label);
  }

  /* SLA clocks: a paused clock (waiting on the customer) stands still,
   * judged at its pause's start, with a marker in the SLA cell */
  function slaOf(t) {
    if (!t.waiting_on_customer || !Ops.ACTIVE.has(t.status)) return Ops.slaInfo(t);
    if (!t.sla_due_at) return {text: 'No SLA · waiting', state: 'none'};
    return {text: '⏸ ' + Ops.slaInfo(t, Date.parse(t.sla_paused_at)).text + ' · paused', state: 'paused'};
  }

  function row(t) {
    const overdue = t.status === 'OVERDUE', active = Ops.ACTIVE.has(t.status);
    const sla = slaOf(t);
    const due = Ops.dueText(t, state.today);
    const pr = t.priority.toLowerCase();
    const src = t.source && t.source !== 'MANUAL' ? t.source.charAt(0) + t.source.slice(1).toLowerCase() : '';
    const acts = el('div', {class: 'actions'});
    if (active) {
      if (!t.assignee_id) acts.append(button(t, 'take', 'Take'));
      if (t.work_status === 'OPEN') acts.append(button(t, 'start', 'Start'));
      acts.append(button(t, 'complete', 'Complete', 'btn-ok'), button(t, 'cancel', 'Cancel', 'btn-quiet'),
                  button(t, 'edit', 'Edit', 'btn-quiet'));
      acts.lastChild.setAttribute('aria-expanded', String(state.editing.has(t.id)));
    } else acts.append(button(t, 'reopen', 'Reopen', 'btn-quiet'));
    return el('tr', {class: `task prio-${pr}` + (overdue ? ' is-overdue' : '') + (state.selected.has(t.id) ? ' is-selected' : ''),
                     'data-id': t.id},
      el('td', {class: 'c-check'}, el('input', {type: 'checkbox', 'data-k': 'check', checked: state.selected.has(t.id),
                                               'aria-label': `Select ${t.title}`})),
      el('td', {class: 'c-prio', 'data-label': 'Priority'}, el('span', {class: `badge prio prio-${pr}`},
        t.priority === 'URGENT' ? el('span', {class: 'icon', 'aria-hidden': 'true'}, '‼') : null, Ops.PRIORITY_LABEL[t.priority])),
      el('td', {class: 'c-title', 'data-label': 'Task'},
        el('a', {href: '/tasks/' + encodeURIComponent(t.id), class: 'title-link', 'data-k': 'title', title: t.title, dir: 'auto'},
          ...marked(t.title)),
        src ? el('span', {class: 'tag', title: src === 'Renewal' ? 'Made by the renewals engine' : 'Made by a rule'}, src) : null),
      el('td', {class: 'c-customer', 'data-label': 'Customer'}, t.user_id
        ? el('a', {href: '/customers/' + encodeURIComponent(t.user_id), 'data-k': 'customer'},
             el('bdi', {dir: 'auto'}, ...marked(Ops.customerName(t.user_id)))) : el('span', {class: 'muted'}, '—')),
      el('td', {class: 'c-assignee', 'data-label': 'Assignee'},
        t.assignee_id ? el('bdi', {dir: 'auto'}, Ops.staffName(t.assignee_id)) : el('span', {class: 'muted'}, 'Unassigned')),
      el('td', {class: 'c-due' + (overdue ? ' due-late' : ''), 'data-label': 'Due'},
        el('time', {datetime: t.due_date, title: Ops.formatDate(t.due_date)}, due || Ops.formatDate(t.due_date))),
      el('td', {class: 'c-status', 'data-label': 'Status'}, el('span', {class: `badge status status-${t.status.toLowerCase()}`},
        overdue ? el('span', {class: 'icon', 'aria-hidden': 'true'}, '⚠') : null, statusText(t))),
      el('td', {class: 'c-sla sla-' + sla.state, 'data-label': 'SLA', title: t.sla_due_at ? 'SLA deadline ' + Ops.formatTime(t.sla_due_at) : null},
        sla.state === 'breached' ? el('span', {class: 'icon', 'aria-hidden': 'true'}, '⚠ ') : null, sla.text),
      el('td', {class: 'c-actions'}, acts));
  }

  /* Whether the view's query would still answer t (the list is refetched
   * after a change anyway; this removes a row at once). */
  function matches(t) {
    const p = state.p, has = (k, v) => !p.get(k) || list(p.get(k)).includes(v);
    if (p.get('status') !== 'all' && !list(p.get('status')).includes(t.status)) return false;
    const a = list(p.get('assignee_id'));
    const me = state.me && state.me.staff_id;
    if (a.length && !a.some((x) => (x === 'none' ? !t.assignee_id : x === 'me' ? t.assignee_id === me : x === t.assignee_id)))
      return false;
    const sla = !t.sla_due_at ? 'none' : t.status === 'CANCELLED' ? '' : t.sla_breached ? 'breached'
      : t.sla_at_risk ? 'at_risk' : t.status === 'COMPLETED' ? 'met' : '';
    return has('priority', t.priority) && has('source', t.source) && has('sla_state', sla) &&
      (!p.get('user_id') || p.get('user_id') === t.user_id);
  }

  /* Redraws the rows, keeping focus (same row, same control), selection
   * and the scroll position. */
  function draw() {
    const a = document.activeElement;
    const r = a && a.closest && a.closest('#rows tr.task');
    const key = r && [r.dataset.id, a.dataset.k || 'title', [...$('rows').children].indexOf(r)];
    const y = window.scrollY;
    $('rows').replaceChildren(...state.tasks.map(row));
    if (key) {
      const again = rowOf(key[0]);
      const n = again ? again.querySelector(`[data-k="${key[1]}"]`) || again.querySelector('.title-link')
        : $('rows').children[Math.min(key[2], $('rows').children.length - 1)];
      const f = n && (n.matches('tr') ? n.querySelector('.title-link') : n);
      (f || $('queue')).focus({preventScroll: true});
    }
    if (window.scrollY !== y) window.scrollTo(0, y);
    renderCount();
  }

  function renderCount() {
    const n = state.tasks.length;
    $('count').textContent = n ? `Showing ${plural(n, 'task')}${state.cursor ? ' (more below)' : ''}` : '';
    $('empty').hidden = n > 0;
    $('queue').hidden = n === 0;
    $('more').hidden = !state.cursor;
    const v = currentView();
    $('queue-caption').textContent = 'Tasks: ' + (v ? v.name : $('filter-summary').textContent);
    for (const id of [...state.selected]) if (!byId(id)) state.selected.delete(id);
    renderBulk();
  }

  /* A task changed here: redraw its row, or drop it when the view no longer
   * answers it; recount. */
  function changed(t) {
    state.known.set(t.id, t.version);
    const i = state.tasks.findIndex((x) => x.id === t.id);
    if (i < 0) return;
    if (matches(t)) state.tasks[i] = t;
    else { state.tasks.splice(i, 1); state.selected.delete(t.id); }
    const r = rowOf(t.id);
    if (r && matches(t)) {
      const a = document.activeElement, k = r.contains(a) && a.dataset.k;
      const nr = row(t);
      r.replaceWith(nr);
      if (k) (nr.querySelector(`[data-k="${k}"]`) || nr.querySelector('.title-link')).focus();
    } else if (r) {
      const next = r.nextElementSibling || r.previousElementSibling;
      const had = r.contains(document.activeElement);
      r.remove();
      if (had) (next && next.querySelector('.title-link') || $('queue')).focus();
    }
    renderCount();
  }

  const me = () => state.me && state.me.staff_id;

  async function act(t, what) {
    if (what === 'edit') return toggleEditor(t);
    if ((what === 'take' || what === 'assign') && !me())
      return Ops.toast('This sign-in is not tied to a staff member, so nothing can be assigned to you', true);
    const body = {take: {assignee_id: me()}, assign: {assignee_id: me()}, start: {status: 'IN_PROGRESS'},
                  complete: {status: 'COMPLETED'}, cancel: {status: 'CANCELLED'}, reopen: {status: 'OPEN'}}[what];
    if (!body || !Ops.ACTIVE.has(t.status) && what !== 'reopen') return;
    if (what === 'start' && t.work_status !== 'OPEN') return;
    try {
      const nt = await Ops.patchTask(t, body);
      changed(nt);
      /* after an undo, focus goes to the task's row again (the toast's button is gone) */
      if (what === 'complete' || what === 'cancel') Ops.undoToast(nt, t, (back) => refresh().then(() => {
        const r = back && rowOf(back.id);
        if (r && (!document.activeElement || document.activeElement === document.body)) r.querySelector('.title-link').focus();
      }));
      else {
        const msg = {take: 'taken', assign: 'assigned to you', start: 'started', reopen: 'reopened'}[what];
        Ops.toast(`“${nt.title}” ${msg}`);
        Ops.announce(`“${nt.title}” ${msg}`);
      }
      counts();
    } catch (e) {
      Ops.toast(Ops.errorText(e), true);
      if (e.status === 412 || e.status === 404 || e.status === 409) refresh();
    }
  }

  function toggleEditor(t) {
    const btn = () => rowOf(t.id) && rowOf(t.id).querySelector('[data-act=edit]');
    const close = () => {
      const r = $('rows').querySelector(`tr.editor-row[data-for="${CSS.escape(t.id)}"]`);
      if (r) r.remove();
      state.editing.delete(t.id);
      const b = btn();
      if (b) { b.setAttribute('aria-expanded', 'false'); b.focus(); }
    };
    if (state.editing.has(t.id)) return close();
    const cur = byId(t.id) || t;
    const form = Ops.editor(cur, 'ed-' + t.id, (nt) => { close(); changed(nt); Ops.toast(`“${nt.title}” saved`); counts(); }, close);
    rowOf(t.id).after(el('tr', {class: 'editor-row', 'data-for': t.id}, el('td', {colspan: 9}, form)));
    state.editing.add(t.id);
    btn().setAttribute('aria-expanded', 'true');
    form.querySelector('select').focus();
  }

  /* ---- selection and the bulk bar ---- */
  function renderBulk() {
    const n = state.selected.size, all = $('select-all');
    $('bulk').hidden = n === 0 && !$('bulk-result').textContent;
    $('bulk-count').textContent = `${plural(n, 'task')} selected`;
    for (const b of $('bulk').querySelectorAll('button, select, input')) if (b.dataset.bulk !== 'clear') b.disabled = n === 0;
    all.checked = n > 0 && n === state.tasks.length;
    all.indeterminate = n > 0 && n < state.tasks.length;
  }

  function select(id, yes) {
    if (yes) state.selected.add(id); else state.selected.delete(id);
    const r = rowOf(id);
    if (r) { r.classList.toggle('is-selected', yes); r.querySelector('[data-k=check]').checked = yes; }
    $('bulk-result').textContent = '';
    renderBulk();
  }

  async function bulk(set, verb) {
    const ids = [...state.selected].filter(byId);
    if (!ids.length) return;
    const versions = Object.fromEntries(ids.map((id) => [id, byId(id).version]));
    const before = new Map(ids.map((id) => [id, byId(id)]));
    const box = $('bulk-result');
    box.textContent = `${verb}…`;
    try {
      const {data} = await api('POST', '/ops/tasks/bulk', {ids, set, versions});
      const ok = data.results.filter((r) => r.status === 200);
      const bad = data.results.filter((r) => r.status !== 200);
      for (const r of ok) { state.selected.delete(r.id); changed(r.task); }
      box.replaceChildren(el('span', {}, `${verb}: ${plural(ok.length, 'task')} changed` +
                                         (bad.length ? `, ${bad.length} refused:` : '.')),
        bad.length ? el('ul', {class: 'refused'}, ...bad.map((r) => el('li', {},
          el('bdi', {dir: 'auto'}, (before.get(r.id) || {}).title || r.id), ': ', r.error ? Ops.errorText(r.error) : `answered ${r.status}`))) : null);
      renderBulk();
      counts();
      if (bad.some((r) => r.status === 412)) refresh();
      const done = ok.filter((r) => r.task.status === 'COMPLETED' || r.task.status === 'CANCELLED');
      if (done.length && (set.status === 'COMPLETED' || set.status === 'CANCELLED'))
        Ops.notice(`${plural(done.length, 'task')} ${set.status === 'COMPLETED' ? 'completed' : 'cancelled'}`,
          {label: 'Undo', run: () => undoBulk(done.map((r) => [r.task, before.get(r.id)]))});
    } catch (e) {
      box.textContent = `${verb}: ${Ops.errorText(e)}`;
    }
  }

  async function undoBulk(pairs) {
    for (const st of ['OPEN', 'IN_PROGRESS']) {
      const ps = pairs.filter(([, b]) => (b.work_status === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'OPEN') === st);
      if (!ps.length) continue;
      try {
        await api('POST', '/ops/tasks/bulk', {ids: ps.map(([t]) => t.id), set: {status: st},
                                              versions: Object.fromEntries(ps.map(([t]) => [t.id, t.version]))});
      } catch (e) { Ops.toast(Ops.errorText(e), true); }
    }
    Ops.toast(`${plural(pairs.length, 'task')} reopened`);
    refresh();
    counts();
  }

  function buildBulk() {
    const a = $('b-assignee'), p = $('b-priority');
    if (me()) a.options[1].value = me(); else a.options[1].remove();
    a.append(...Ops.staffList().filter((s) => s.active).map((s) => el('option', {value: s.id}, s.name)));
    $('bulk').addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-bulk]');
      if (!b) return;
      const w = b.dataset.bulk;
      if (w === 'clear') {
        for (const id of [...state.selected]) select(id, false);
        $('bulk-result').textContent = '';
        renderBulk();
        const f = $('rows').querySelector('.title-link');
        if (f) f.focus();
      } else if (w === 'assign' && a.value) bulk({assignee_id: a.value === 'none' ? null : a.value}, 'Assign');
      else if (w === 'priority' && p.value) bulk({priority: p.value}, 'Set priority');
      else if (w === 'due') {
        if ($('b-due').value) bulk({due_date: $('b-due').value}, 'Set due date');
        else $('bulk-result').textContent = 'Pick a complete due date first (day, month and year).';
      } else if (w === 'start') bulk({status: 'IN_PROGRESS'}, 'Start');
      else if (w === 'complete') bulk({status: 'COMPLETED'}, 'Complete');
      else if (w === 'cancel') bulk({status: 'CANCELLED'}, 'Cancel');
    });
    $('select-all').addEventListener('change', (ev) => {
      const yes = ev.target.checked;
      for (const t of state.tasks) select(t.id, yes);
    });
  }

  /* ---- loading ---- */
  function showError(e) {
    $('error').textContent = e ? `Could not load the queue: ${e.message}` : '';
    $('error').hidden = !e;
  }

  function listPath(limit, cursor) {
    const q = new URLSearchParams(state.p);
    q.set('limit', String(limit));
    if (cursor) q.set('cursor', cursor);
    return '/ops/tasks?' + q.toString();
  }

  async function loadStats() {
    const q = new URLSearchParams(state.p);
    q.delete('status'); q.delete('sort');
    try { renderStats((await api('GET', '/ops/tasks/stats?' + q.toString())).data); } catch (e) { /* the list says */ }
  }

  /* the stats bar and the views' counts, once for a burst of changes */
  function counts() {
    clearTimeout(counts.t);
    counts.t = setTimeout(() => { loadStats(); loadViews(); }, 200);
  }

  /* The first page, or on a refresh as many rows as are shown. */
  async function load(keep) {
    const seq = ++state.seq;
    const limit = keep ? Math.min(500, Math.max(PAGE, state.tasks.length)) : PAGE;
    loadStats();
    try {
      const [{data}] = await Promise.all([api('GET', listPath(limit)), state.ready]);
      if (seq !== state.seq) return;
      showError(null);
      const fresh = state.pending;
      state.tasks = data.data;
      if (fresh && !byId(fresh.id)) state.tasks.unshift(fresh);
      state.pending = null;
      state.cursor = data.next_cursor;
      state.editing.clear();  /* the redraw closes an open editor */
      for (const t of state.tasks) state.known.set(t.id, t.version);
      draw();
      stamp();
      if (!performance.getEntriesByName('opstasks:queue-ready').length) performance.mark('opstasks:queue-ready');
      names(state.tasks);
    } catch (e) {
      if (seq === state.seq) showError(e.field === 'q' ? {message: 'search: ' + e.message} : e);
    }
  }

  function stamp() {
    state.last = Date.now();
    $('updated').textContent = 'Updated at ' + new Date().toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'});
  }

  async function loadMore() {
    if (!state.cursor) return;
    const seq = state.seq, btn = $('more');
    btn.disabled = true;
    try {
      const {data} = await api('GET', listPath(PAGE, state.cursor));
      if (seq !== state.seq) return;
      const first = state.tasks.length;
      state.tasks = state.tasks.concat(data.data);
      state.cursor = data.next_cursor;
      $('rows').append(...data.data.map(row));
      renderCount();
      names(data.data);
      const r = $('rows').children[first];
      if (r) r.querySelector('.title-link').focus();
    } catch (e) {
      showError(e);
    } finally {
      btn.disabled = false;
    }
  }

  /* Customer names arrive after the rows: fill them in place. */
  async function names(tasks) {
    await Ops.loadCustomers(tasks.map((t) => t.user_id).concat(state.p.get('user_id') || []));
    for (const r of $('rows').querySelectorAll('tr.task')) {
      const t = byId(r.dataset.id), a = t && t.user_id && r.querySelector('.c-customer bdi');
      if (a) a.replaceChildren(...marked(Ops.customerName(t.user_id)));
    }
    renderFilters();  /* the customer filter's name */
  }

  /* Not while a row is being edited or a dialog is open: then only the counts. */
  function refresh() {
    if (state.editing.size || document.querySelector('dialog[open]')) { counts(); return Promise.resolve(); }
    loadViews();
    return load(true);  /* and the stats bar */
  }

  /* ---- live: `ops:changes` from live.js (someone else's changes) ---- */
  function onChanges(ev) {
    const ch = (ev.detail && ev.detail.changes) || [];
    for (const c of ch) {
      if (!c.task_id) continue;
      const v = state.known.get(c.task_id);
      /* a version we already show is our own change: no news (a comment keeps the version) */
      if (c.type === 'comment.created' || !(c.version && v && v >= c.version)) state.changed.add(c.task_id);
    }
    clearTimeout(onChanges.t);
    onChanges.t = setTimeout(async () => {
      const n = state.changed.size;
      state.changed.clear();
      await refresh();
      if (n) {
        $('changed').textContent = `${plural(n, 'task')} changed`;
        clearTimeout(onChanges.c);
        onChanges.c = setTimeout(() => { $('changed').textContent = ''; }, 8000);
      }
    }, 150);
  }

  /* ---- keyboard ---- */
  function rowTask() {
    const a = document.activeElement;
    const r = a && a.closest && a.closest('#rows tr.task');
    return r ? byId(r.dataset.id) : null;
  }

  function move(d) {
    const rows = [...$('rows').querySelectorAll('tr.task')];
    if (!rows.length) return;
    const a = document.activeElement, r = a && a.closest && a.closest('#rows tr.task');
    const i = r ? rows.indexOf(r) + d : d > 0 ? 0 : rows.length - 1;
    const to = rows[Math.max(0, Math.min(rows.length - 1, i))];
    to.querySelector('.title-link').focus();
    to.scrollIntoView({block: 'nearest'});
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    const tg = ev.target;
    if (tg.closest('select, textarea, dialog, form.editor, [contenteditable]') ||
        (tg.matches('input') && tg.type !== 'checkbox')) return;
    const t = rowTask(), k = ev.key;
    const run = {
      j: () => move(1), k: () => move(-1), '/': () => { $('q').focus(); $('q').select(); },
      '?': () => { $('help').showModal(); $('help-close').focus(); },
      n: () => { if ($('new-task').hidden) $('new-toggle').click(); else $('nt-title').focus(); },
      x: () => t && select(t.id, !state.selected.has(t.id)),
      Enter: () => t && !tg.matches('a, button') && location.assign('/tasks/' + encodeURIComponent(t.id)),
      s: () => t && act(t, 'start'), c: () => t && act(t, 'complete'), a: () => t && act(t, 'assign'),
      e: () => t && Ops.ACTIVE.has(t.status) && act(t, 'edit')}[k];
    if (!run) return;
    if (k === 'Enter' && (!t || tg.matches('a, button'))) return;
    ev.preventDefault();
    run();
  }

  /* ---- the new-task form ---- */
  function buildNewForm() {
    const prio = $('nt-priority'), due = $('nt-due');
    const who = Ops.picker($('nt-assignee'), {kind: 'staff', filter: (s) => s.active, onPick() {}});
    const cust = Ops.picker($('nt-customer'), {kind: 'customer', onPick() {}});
    const form = $('new-form'), toggle = $('new-toggle');
    Ops.clearOnInput(form);
    const open = (yes) => {
      $('new-task').hidden = !yes;
      toggle.setAttribute('aria-expanded', String(yes));
      (yes ? $('nt-title') : toggle).focus();
    };
    toggle.addEventListener('click', () => open($('new-task').hidden));
    $('new-cancel').addEventListener('click', () => open(false));
    $('new-task').addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !ev.defaultPrevented) open(false); });
    const bad = (field, message) => Ops.showError(form, {field, message});
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      const title = $('nt-title').value;
      if (!title.trim()) return bad('title', 'Enter a title');
      if (due.validity.badInput) return bad('due_date', 'The due date is incomplete or not a real day: enter its day, month and year');
      if (!due.value) return bad('due_date', 'Enter a due date (day, month and year)');
      const y = Number(due.value.slice(0, 4)), maxY = Number(state.today.slice(0, 4)) + 20;
      if (y < 2000 || due.value > maxY + state.today.slice(4))
        return bad('due_date', `${Ops.formatDate(due.value)} is out of range: the due date must lie between ` +
                               `${Ops.formatDate('2000-01-01')} and ${Ops.formatDate(maxY + state.today.slice(4))}`);
      const body = {title, due_date: due.value, priority: prio.value};
      for (const [p, input, k, what] of [[who, 'nt-assignee', 'assignee_id', 'staff member'], [cust, 'nt-customer', 'user_id', 'customer']]) {
        if (p.value()) body[k] = p.value().id;
        else if ($(input).value.trim()) return bad(k, `Pick a ${what} from the list, or clear the field`);
      }
      const d = $('nt-description').value;
      if (d.trim()) body.description = d;
      const sla = $('nt-sla').value.trim();
      if (sla) {
        const n = Number(sla.replace(',', '.'));
        if (!Number.isFinite(n) || n <= 0) return bad('sla_hours', 'SLA hours must be a number of hours above 0, e.g. 24 or 1.5');
        body.sla_hours = n;
      }
      const btn = form.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        const {data} = await api('POST', '/ops/tasks', body);
        form.reset();
        who.clear(); cust.clear();
        open(false);
        Ops.notice(`Task “${data.title}” created`, {href: '/tasks/' + encodeURIComponent(data.id), linkText: 'Open it'});
        state.pending = data;  /* shown at the top even when the view does not answer it */
        await load(true);
        const r = rowOf(data.id);
        if (r) r.classList.add('is-new');
        counts();
      } catch (e) {
        Ops.showError(form, e);
      } finally {
        btn.disabled = false;
      }
    });
  }

  /* ---- saving and deleting views ---- */
  function buildSave() {
    const dlg = $('save-dialog'), form = $('save-form');
    $('save-view').addEventListener('click', () => {
      Ops.clearErrors(form);
      $('sv-name').value = '';
      $('sv-shared').checked = false;
      dlg.showModal();
      $('sv-name').focus();
    });
    $('sv-cancel').addEventListener('click', () => dlg.close());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      const name = $('sv-name').value.trim();
      if (!name) return Ops.showError(form, {field: 'name', message: 'Give the view a name'});
      const slug = name.toLowerCase().normalize('NFD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
      const id = `viw_${slug || 'view'}_${Math.random().toString(36).slice(2, 8)}`;
      try {
        await api('PUT', '/ops/views/' + id, {name, query: qs(state.p), shared: $('sv-shared').checked});
        dlg.close();
        Ops.toast(`View “${name}” saved`);
        await loadViews();
      } catch (e) {
        Ops.showError(form, e.status === 404 ? {message: 'This server cannot save views yet.'} : e);
      }
    });
    $('delete-view').addEventListener('click', async () => {
      const v = currentView();
      if (!v || !v.saved) return;
      if (!await Ops.confirmAction({title: 'Delete this view?', text: `“${v.name}” will be deleted${v.shared ? ' for everyone' : ''}.`,
                                    yes: 'Delete view', danger: true})) return;
      try {
        await api('DELETE', '/ops/views/' + encodeURIComponent(v.id));
        Ops.toast(`View “${v.name}” deleted`);
        await loadViews();
      } catch (e) { Ops.toast(Ops.errorText(e), true); }
    });
  }

  /* ---- start ---- */
  async function start() {
    Ops.wireLogout($('logout'));
    let query = location.search;
    if (!query) try { query = localStorage.getItem(LAST) || ''; } catch (e) { /* none */ }
    state.p = canon(query);
    /* a bare /tasks stays bare for the default view */
    if (location.search || qs(state.p) !== 'status=OPEN') history.replaceState(null, '', '/tasks?' + qs(state.p));
    remember();
    buildFilters();
    if (window.matchMedia('(max-width: 760px)').matches) $('filter-box').open = false;
    renderFilters();
    state.ready = api('GET', '/ops/me').then(({data}) => data).catch(() => null).then((info) => {
      state.me = info;
      state.today = info ? info.today : new Date().toISOString().slice(0, 10);
    });
    const staff = Ops.loadStaff().catch(() => null);
    const first = load();
    $('more').addEventListener('click', loadMore);
    $('refresh').addEventListener('click', () => refresh());
    window.addEventListener('popstate', () => { state.p = canon(location.search); renderFilters(); renderViews(); load(); });
    $('rows').addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-act]'), t = b && byId(b.closest('tr').dataset.id);
      if (t) act(t, b.dataset.act);
    });
    $('rows').addEventListener('change', (ev) => {
      if (ev.target.dataset.k === 'check') select(ev.target.closest('tr').dataset.id, ev.target.checked);
    });
    document.addEventListener('keydown', onKey);
    $('help-open').addEventListener('click', () => { $('help').showModal(); $('help-close').focus(); });
    $('help-close').addEventListener('click', () => $('help').close());
    $('help').addEventListener('close', () => $('help-open').focus());
    document.addEventListener('ops:changes', onChanges);
    await state.ready;
    await staff;
    const info = state.me;
    if (info) Ops.showNav(info);
    const sel = $('f-assignee');
    if (info && !info.staff_id && state.p.get('assignee_id') !== 'me') sel.querySelector('option[value=me]').remove();
    for (const o of [...sel.options]) if (o.value.includes('sta_')) o.remove();  /* shown by id until the names came */
    for (const s of Ops.staffList()) sel.append(el('option', {value: s.id}, s.active ? s.name : `${s.name} (inactive)`));
    renderFilters();
    buildNewForm();
    buildBulk();
    buildSave();
    renderBulk();
    /* the tabs' counts (a stats query each) after the first rows and the
     * stats bar, which they would otherwise queue behind on the server */
    first.then(loadViews);
    if (state.tasks.length) draw();  /* staff names are known now */
    /* without live.js, a slow poll */
    if (!document.querySelector('script[src*="live.js"]'))
      setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && Date.now() - state.last > POLL_MS) refresh();
    });
  }

  start();
})();
