/* queue.js: /tasks, the global task queue. The view (status, priority,
 * assignee, sort) lives in the URL, so it can be bookmarked and shared; the
 * list is one page of GET /ops/tasks at a time ("Load more" walks its
 * cursor), the stats bar is GET /ops/tasks/stats under the same filters, and
 * both refresh every 30 seconds. */
'use strict';

(() => {
  const {el, api} = Ops;
  const PAGE = 50;
  const REFRESH_MS = 30000;
  const $ = (id) => document.getElementById(id);

  const state = {
    view: null,       /* {status: [], priority: [], assignee: '', sort: ''} */
    tasks: [],        /* rows shown, in order */
    cursor: null,
    me: null,
    today: null,
    seq: 0,           /* answers to an older request are dropped */
    ready: null,      /* resolves once /ops/me has answered */
    lastRefresh: 0,
    editing: new Set(),
  };

  /* ---- the view <-> the URL ---- */
  function listParam(params, name, allowed) {
    const v = params.get(name);
    if (v === null) return null;
    return v.split(',').map((s) => s.trim().toUpperCase()).filter((s) => allowed.includes(s));
  }

  function viewFromUrl() {
    const p = new URLSearchParams(location.search);
    let status = p.get('status') === 'all' ? [...Ops.STATUSES] : listParam(p, 'status', Ops.STATUSES);
    if (!status || !status.length) status = ['OPEN'];
    const priority = listParam(p, 'priority', Ops.PRIORITIES) || [];
    const a = p.get('assignee_id') || '';
    const assignee = /^(me|none|sta_[A-Za-z0-9_-]{1,64})$/.test(a) ? a : '';
    const sort = p.get('sort') === 'priority' ? 'priority' : 'due_date';
    return {status, priority, assignee, sort};
  }

  function viewQuery(view, withStatus) {
    const q = new URLSearchParams();
    if (withStatus) {
      const all = view.status.length === Ops.STATUSES.length;
      if (all) q.set('status', 'all');
      else if (!(view.status.length === 1 && view.status[0] === 'OPEN')) q.set('status', view.status.join(','));
    }
    if (view.priority.length && view.priority.length < Ops.PRIORITIES.length) q.set('priority', view.priority.join(','));
    if (view.assignee) q.set('assignee_id', view.assignee);
    if (withStatus && view.sort !== 'due_date') q.set('sort', view.sort);
    return q;
  }

  function pageUrl(view) {
    const q = viewQuery(view, true).toString();
    return '/tasks' + (q ? '?' + q.replace(/%2C/g, ',') : '');
  }

  function setView(view, push) {
    state.view = view;
    const url = pageUrl(view);
    if (url !== location.pathname + location.search) {
      if (push) history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    }
    sessionStorage.setItem('opstasks.queue', url);
    renderFilters();
    load();
  }

  /* ---- filters ---- */
  function buildFilters() {
    for (const s of Ops.STATUSES) {
      const id = 'f-status-' + s;
      $('f-status').append(el('span', {class: 'check'},
        el('input', {type: 'checkbox', id, name: 'status', value: s}), el('label', {for: id}, Ops.STATUS_LABEL[s])));
    }
    for (const p of Ops.PRIORITIES) {
      const id = 'f-priority-' + p;
      $('f-priority').append(el('span', {class: 'check'},
        el('input', {type: 'checkbox', id, name: 'priority', value: p}), el('label', {for: id}, Ops.PRIORITY_LABEL[p])));
    }
    $('filters').addEventListener('change', () => {
      const checked = (name) => [...document.querySelectorAll(`#filters input[name=${name}]:checked`)].map((i) => i.value);
      let status = checked('status');
      if (!status.length) status = [...Ops.STATUSES];  /* none ticked reads as all */
      setView({status, priority: checked('priority'), assignee: $('f-assignee').value, sort: $('f-sort').value}, true);
    });
    $('filters').addEventListener('submit', (ev) => ev.preventDefault());
    $('f-reset').addEventListener('click', () => setView({status: ['OPEN'], priority: [], assignee: '', sort: 'due_date'}, true));
  }

  function renderFilters() {
    const v = state.view;
    for (const i of document.querySelectorAll('#filters input[name=status]')) i.checked = v.status.includes(i.value);
    for (const i of document.querySelectorAll('#filters input[name=priority]')) i.checked = v.priority.includes(i.value);
    const sel = $('f-assignee');
    if (v.assignee && ![...sel.options].some((o) => o.value === v.assignee))
      sel.append(el('option', {value: v.assignee}, v.assignee));
    sel.value = v.assignee;
    $('f-sort').value = v.sort;
    const parts = [v.status.length === Ops.STATUSES.length ? 'all statuses' : v.status.map((x) => Ops.STATUS_LABEL[x]).join(', ')];
    if (v.priority.length) parts.push(v.priority.map((x) => Ops.PRIORITY_LABEL[x]).join(', '));
    if (v.assignee) parts.push(sel.options[sel.selectedIndex] ? sel.options[sel.selectedIndex].text : v.assignee);
    parts.push(v.sort === 'priority' ? 'by priority' : 'by due date');
    $('filter-summary').textContent = parts.join(' · ');
  }

  /* ---- stats bar ---- */
  function renderStats(stats) {
    const nav = $('stats');
    nav.replaceChildren();
    for (const s of Ops.STATUSES) {
      const n = stats.counts[s] || 0;
      const only = state.view.status.length === 1 && state.view.status[0] === s;
      const b = el('button', {type: 'button', class: `stat stat-${s.toLowerCase()}` + (s === 'OVERDUE' && n ? ' stat-alert' : ''),
                              'aria-pressed': only ? 'true' : 'false', 'data-status': s,
                              'aria-label': `${Ops.STATUS_LABEL[s]}: ${n}. Show only ${Ops.STATUS_LABEL[s].toLowerCase()} tasks`},
        el('span', {class: 'stat-count'}, n.toLocaleString()), el('span', {class: 'stat-label'}, Ops.STATUS_LABEL[s]));
      b.addEventListener('click', () => setView(Object.assign({}, state.view, {status: [s]}), true));
      nav.append(b);
    }
    if (stats.sla_breached_active)
      nav.append(el('span', {class: 'stat-note'}, `${stats.sla_breached_active.toLocaleString()} past their SLA`));
  }

  /* ---- rows ---- */
  function badge(cls, text, icon) {
    return el('span', {class: 'badge ' + cls}, icon ? el('span', {class: 'icon', 'aria-hidden': 'true'}, icon) : null, text);
  }

  function tags(t) {
    const out = [];
    if (t.renewal_id) out.push(el('span', {class: 'tag', title: `Renewal ${t.renewal_id}`}, 'Renewal'));
    else if (t.rule_id) out.push(el('span', {class: 'tag', title: `Rule ${t.rule_id}`}, 'Rule'));
    else if (t.source && t.source !== 'MANUAL') out.push(el('span', {class: 'tag'}, t.source.toLowerCase()));
    return out;
  }

  function row(t) {
    const overdue = t.status === 'OVERDUE';
    const sla = Ops.slaInfo(t);
    const due = Ops.dueText(t, state.today);
    const tr = el('tr', {class: `task prio-${t.priority.toLowerCase()}` + (overdue ? ' is-overdue' : ''), 'data-id': t.id});
    tr.append(
      el('td', {class: 'c-prio', 'data-label': 'Priority'}, badge('prio prio-' + t.priority.toLowerCase(),
        Ops.PRIORITY_LABEL[t.priority], t.priority === 'URGENT' ? '‼' : t.priority === 'HIGH' ? '!' : null)),
      el('td', {class: 'c-title', 'data-label': 'Task'},
        el('a', {href: '/tasks/' + encodeURIComponent(t.id), class: 'title-link'}, t.title), ...tags(t)),
      el('td', {class: 'c-customer', 'data-label': 'Customer'}, Ops.customerName(t.user_id) || '—'),
      el('td', {class: 'c-assignee', 'data-label': 'Assignee'},
        t.assignee_id ? Ops.staffName(t.assignee_id) : el('span', {class: 'muted'}, 'Unassigned')),
      el('td', {class: 'c-due', 'data-label': 'Due'},
        el('time', {datetime: t.due_date}, Ops.formatDate(t.due_date)),
        due ? el('span', {class: 'due-rel' + (overdue ? ' due-late' : '')}, due) : null),
      el('td', {class: 'c-status', 'data-label': 'Status'},
        badge('status status-' + t.status.toLowerCase(), Ops.STATUS_LABEL[t.status], overdue ? '⚠' : null)),
      el('td', {class: 'c-sla sla-' + sla.state, 'data-label': 'SLA'},
        sla.state === 'breached' ? el('span', {class: 'icon', 'aria-hidden': 'true'}, '⚠ ') : null, sla.text),
      el('td', {class: 'c-actions', 'data-label': 'Actions'},
        Ops.actionButtons(t, (nt, verb, err) => afterChange(t, nt, verb, err), (btn) => toggleEditor(t, btn))));
    return tr;
  }

  function matchesView(t) {
    return state.view.status.includes(t.status) &&
      (!state.view.priority.length || state.view.priority.includes(t.priority));
  }

  /* A row's task changed (or the change failed): redraw it, or drop it when
   * the view no longer shows it; then recount. */
  function afterChange(old, t, verb, err) {
    if (!t) {
      if (err && (err.code === 'version_conflict' || err.status === 404 || err.status === 409)) refresh();
      return;
    }
    const i = state.tasks.findIndex((x) => x.id === old.id);
    state.editing.delete(old.id);
    const oldRow = document.querySelector(`tr.task[data-id="${CSS.escape(old.id)}"]`);
    const editorRow = document.querySelector(`tr.editor-row[data-for="${CSS.escape(old.id)}"]`);
    if (editorRow) editorRow.remove();
    if (i >= 0 && matchesView(t)) {
      state.tasks[i] = t;
      if (oldRow) {
        const nr = row(t);
        oldRow.replaceWith(nr);
        const firstBtn = nr.querySelector('.c-actions button') || nr.querySelector('a');
        if (firstBtn) firstBtn.focus();
      }
    } else if (i >= 0) {
      state.tasks.splice(i, 1);
      if (oldRow) {
        const next = oldRow.nextElementSibling;
        oldRow.remove();
        const focusTo = (next && next.querySelector('a')) || $('queue');
        focusTo.focus();
      }
    }
    const msg = `“${t.title}” ${verb || 'saved'}`;
    Ops.announce(msg);
    Ops.toast(msg.charAt(0).toUpperCase() + msg.slice(1));
    renderCount();
    loadStats();
  }

  function toggleEditor(t, btn) {
    const existing = document.querySelector(`tr.editor-row[data-for="${CSS.escape(t.id)}"]`);
    if (existing) {
      existing.remove();
      state.editing.delete(t.id);
      btn.setAttribute('aria-expanded', 'false');
      btn.focus();
      return;
    }
    const close = () => {
      const r = document.querySelector(`tr.editor-row[data-for="${CSS.escape(t.id)}"]`);
      if (r) r.remove();
      state.editing.delete(t.id);
      btn.setAttribute('aria-expanded', 'false');
      btn.focus();
    };
    const cur = state.tasks.find((x) => x.id === t.id) || t;
    const form = Ops.editor(cur, 'ed-' + t.id, (nt) => afterChange(cur, nt, 'saved'), close);
    const tr = el('tr', {class: 'editor-row', 'data-for': t.id}, el('td', {colspan: 8}, form));
    btn.closest('tr').after(tr);
    btn.setAttribute('aria-expanded', 'true');
    state.editing.add(t.id);
    form.querySelector('select').focus();
  }

  function renderCount() {
    const n = state.tasks.length;
    $('count').textContent = n ? `Showing ${n.toLocaleString()} task${n === 1 ? '' : 's'}${state.cursor ? ' (more below)' : ''}` : '';
    $('empty').hidden = n > 0;
    $('queue').hidden = n === 0;
    $('more').hidden = !state.cursor;
    $('queue-caption').textContent = `Tasks: ${state.view.status.map((s) => Ops.STATUS_LABEL[s]).join(', ')}, sorted by ` +
      (state.view.sort === 'priority' ? 'priority' : 'due date');
  }

  function renderRows(append, fresh) {
    const body = $('rows');
    if (!append) body.replaceChildren();
    for (const t of fresh) body.append(row(t));
    renderCount();
  }

  function showError(e) {
    $('error').textContent = e ? `Could not load the queue: ${e.message}` : '';
    $('error').hidden = !e;
  }

  function stamp() {
    state.lastRefresh = Date.now();
    const t = new Date().toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'});
    $('updated').textContent = `Updated at ${t}`;
  }

  function listPath(limit, cursor) {
    const q = viewQuery(state.view, true);
    if (state.view.status.length === 1 && state.view.status[0] === 'OPEN') q.set('status', 'OPEN');
    q.set('limit', String(limit));
    if (cursor) q.set('cursor', cursor);
    return '/ops/tasks?' + q.toString();
  }

  async function loadStats() {
    try {
      const q = viewQuery(state.view, false).toString();
      const {data} = await api('GET', '/ops/tasks/stats' + (q ? '?' + q : ''));
      renderStats(data);
    } catch (e) { /* the list shows the error */ }
  }

  /* Loads the first page (or, on refresh, as many rows as are shown). */
  async function load(keepCount) {
    const seq = ++state.seq;
    const limit = keepCount ? Math.min(500, Math.max(PAGE, state.tasks.length)) : PAGE;
    loadStats();
    try {
      const [{data}] = await Promise.all([api('GET', listPath(limit)), state.ready]);
      if (seq !== state.seq) return;
      showError(null);
      state.tasks = data.data;
      state.cursor = data.next_cursor;
      state.editing.clear();
      /* a refresh redraws the rows: keep keyboard focus where it was */
      const active = document.activeElement;
      const focusRow = active && active.closest ? active.closest('tr.task') : null;
      const focusKey = focusRow && (active.getAttribute('aria-label') || active.textContent);
      renderRows(false, state.tasks);
      if (focusRow) {
        const again = document.querySelector(`tr.task[data-id="${CSS.escape(focusRow.dataset.id)}"]`);
        const target = again && [...again.querySelectorAll('a, button')]
          .find((n) => (n.getAttribute('aria-label') || n.textContent) === focusKey);
        if (target) target.focus();
      }
      stamp();
      /* when the queue first became usable, for bench/page.mjs */
      if (!performance.getEntriesByName('opstasks:queue-ready').length) performance.mark('opstasks:queue-ready');
      names(state.tasks);
    } catch (e) {
      if (seq === state.seq) showError(e);
    }
  }

  async function loadMore() {
    if (!state.cursor) return;
    const seq = state.seq;
    const btn = $('more');
    btn.disabled = true;
    try {
      const {data} = await api('GET', listPath(PAGE, state.cursor));
      if (seq !== state.seq) return;
      const first = state.tasks.length;
      state.tasks = state.tasks.concat(data.data);
      state.cursor = data.next_cursor;
      renderRows(true, data.data);
      names(data.data);
      const firstNew = $('rows').querySelectorAll('tr.task')[first];
      if (firstNew) firstNew.querySelector('a').focus();
    } catch (e) {
      showError(e);
    } finally {
      btn.disabled = false;
    }
  }

  /* Names arrive after the rows: fill them in place, so nothing a user has
   * focused is redrawn. */
  function fillNames() {
    const byId = new Map(state.tasks.map((t) => [t.id, t]));
    for (const tr of document.querySelectorAll('#rows tr.task')) {
      const t = byId.get(tr.dataset.id);
      if (!t) continue;
      if (t.user_id) tr.querySelector('.c-customer').textContent = Ops.customerName(t.user_id);
      if (t.assignee_id) tr.querySelector('.c-assignee').textContent = Ops.staffName(t.assignee_id);
    }
  }

  async function names(tasks) {
    await Ops.loadCustomers(tasks.map((t) => t.user_id));
    fillNames();
  }

  /* Every 30 s; not while a row is being edited or the cancel dialog is open. */
  function refresh() {
    const dlg = document.getElementById('confirm-cancel');
    if (state.editing.size || (dlg && dlg.open)) {
      loadStats();
      return;
    }
    load(true);
  }

  /* ---- the new-task form ---- */
  function buildNewForm() {
    const prio = el('select', {name: 'priority'});
    for (const p of Ops.PRIORITIES) prio.append(el('option', {value: p}, Ops.PRIORITY_LABEL[p]));
    prio.value = 'MEDIUM';
    const assignee = el('select', {name: 'assignee_id'});
    Ops.staffOptions(assignee, '', false);
    $('new-fields').append(
      Ops.field('nt-title', 'Title', el('input', {name: 'title', type: 'text', maxlength: 400, required: true, autocomplete: 'off'})),
      Ops.field('nt-due', 'Due date', el('input', {name: 'due_date', type: 'date', required: true})),
      Ops.field('nt-priority', 'Priority', prio),
      Ops.field('nt-assignee', 'Assignee', assignee),
      Ops.field('nt-customer', 'Customer id', el('input', {name: 'user_id', type: 'text', placeholder: 'cus_…', autocomplete: 'off'}), 'optional'),
      Ops.field('nt-sla', 'SLA hours', el('input', {name: 'sla_hours', type: 'text', inputmode: 'decimal', autocomplete: 'off'}), 'optional'),
      Ops.field('nt-description', 'Description', el('textarea', {name: 'description', rows: 3}), 'optional'));
    const form = $('new-form');
    const toggle = $('new-toggle');
    const open = (yes) => {
      $('new-task').hidden = !yes;
      toggle.setAttribute('aria-expanded', String(yes));
      if (yes) {
        Ops.staffOptions(assignee, assignee.value, false);
        $('nt-title').focus();
      } else {
        toggle.focus();
      }
    };
    toggle.addEventListener('click', () => open($('new-task').hidden));
    $('new-cancel').addEventListener('click', () => open(false));
    $('new-task').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') open(false); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      const f = new FormData(form);
      const body = {title: String(f.get('title') || ''), due_date: String(f.get('due_date') || ''),
                    priority: String(f.get('priority'))};
      if (!body.title.trim()) return Ops.showError(form, {field: 'title', message: 'Enter a title'});
      if (!body.due_date) return Ops.showError(form, {field: 'due_date', message: 'Pick a due date'});
      const opt = (k) => String(f.get(k) || '').trim();
      if (opt('assignee_id')) body.assignee_id = opt('assignee_id');
      if (opt('user_id')) body.user_id = opt('user_id');
      if (opt('description')) body.description = String(f.get('description'));
      if (opt('sla_hours')) {
        const n = Number(opt('sla_hours').replace(',', '.'));
        if (!Number.isFinite(n)) return Ops.showError(form, {field: 'sla_hours', message: 'sla_hours must be a number'});
        body.sla_hours = n;
      }
      const btn = form.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        const {data} = await api('POST', '/ops/tasks', body);
        form.reset();
        prio.value = 'MEDIUM';
        open(false);
        Ops.toast(`Task “${data.title}” created`);
        Ops.announce(`Task ${data.title} created`);
        load(true);
      } catch (e) {
        Ops.showError(form, e);
      } finally {
        btn.disabled = false;
      }
    });
  }

  /* ---- start ---- */
  async function start() {
    Ops.wireLogout($('logout'));
    buildFilters();
    /* on a phone the filters start folded (their summary says what is on) */
    if (window.matchMedia('(max-width: 760px)').matches) $('filter-box').open = false;
    state.view = viewFromUrl();
    renderFilters();
    $('more').addEventListener('click', loadMore);
    $('refresh').addEventListener('click', () => load(true));
    window.addEventListener('popstate', () => { state.view = viewFromUrl(); renderFilters(); load(); });
    sessionStorage.setItem('opstasks.queue', location.pathname + location.search);
    /* the list first: it needs nothing else */
    /* the list's request goes out at once; rows are drawn once the server's
     * today is known (for "in 2 days") */
    state.ready = Ops.api('GET', '/ops/me').then(({data}) => data).catch(() => null).then((info) => {
      state.me = info;
      state.today = info ? info.today : new Date().toISOString().slice(0, 10);
    });
    const staff = Ops.loadStaff().catch(() => null);
    load();
    await state.ready;
    const info = state.me;
    await staff;
    if (info) Ops.showNav(info);
    const sel = $('f-assignee');
    while (sel.options.length > 3 && sel.options[sel.options.length - 1].value.startsWith('sta_')) sel.remove(sel.options.length - 1);
    /* "Me" needs a token tied to a staff member */
    if (info && !info.staff_id && state.view.assignee !== 'me') sel.querySelector('option[value=me]').remove();
    for (const s of Ops.staffList()) sel.append(el('option', {value: s.id}, s.active ? s.name : `${s.name} (inactive)`));
    renderFilters();
    buildNewForm();
    fillNames();  /* staff names are known now */
    setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && Date.now() - state.lastRefresh > REFRESH_MS) refresh();
    });
  }

  start();
})();
