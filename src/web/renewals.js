/* renewals.js: /renewals, every customer's renewal items (GET
 * /ops/renewals), soonest expiry first, filtered by customer, kind and
 * "expiring before" (kept in the URL: user_id, kind, expires_before; the
 * customer picked by name with picker.js); each
 * row links its customer and newest task, and "All tasks" shows the item's
 * tasks (GET /ops/tasks?renewal_id=&status=all). */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  const KEYS = ['user_id', 'kind', 'expires_before'];
  let today = '', view = {}, reload = null, picker = null;

  function readUrl() {
    const p = new URLSearchParams(location.search);
    view = {};
    for (const k of KEYS) if ((p.get(k) || '').trim()) view[k] = p.get(k).trim();
  }

  function setView(v) {
    view = v;
    const p = new URLSearchParams();
    for (const k of KEYS) if (view[k]) p.set(k, view[k]);
    history.replaceState(null, '', '/renewals' + (p.toString() ? '?' + p : ''));
    reload();
  }

  function fail(e) {
    $('error').textContent = Ops.errorText(e);
    $('error').hidden = false;
  }

  /* the item's tasks, under its row, on demand */
  async function toggleTasks(btn, r, tr) {
    const open = btn.getAttribute('aria-expanded') === 'true';
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('sub-row')) next.remove();
    btn.setAttribute('aria-expanded', String(!open));
    if (open) return;
    const body = el('tbody', {});
    const cap = `Tasks for ${Ops.kindText(r.kind)} of ${r.customer_name || r.customer_id}`;
    const sub = el('tr', {class: 'sub-row', id: 'tasks-' + r.id},
      el('td', {colspan: 5}, el('table', {class: 'plist'}, el('caption', {class: 'sr-only'}, cap), body)));
    tr.after(sub);
    btn.setAttribute('aria-controls', sub.id);
    try {
      const tasks = await Ops.listAll(`/ops/tasks?renewal_id=${encodeURIComponent(r.id)}&status=all&limit=100`, 2);
      body.append(...tasks.map((t) => Ops.taskRow(t, today)));
      if (!tasks.length) body.append(el('tr', {}, el('td', {}, 'No tasks yet.')));
    } catch (e) {
      body.append(el('tr', {}, el('td', {}, Ops.errorText(e))));
    }
  }

  function row(r) {
    const t = r.newest_task;
    const expired = r.expires_on < today;
    const rel = Ops.daysText(r.expires_on, today, 'in', 'ago');
    const all = el('button', {type: 'button', class: 'btn btn-small btn-quiet', 'aria-expanded': 'false',
                              'aria-label': `All tasks for ${Ops.kindText(r.kind)} of ${r.customer_name || r.customer_id}`},
                   'All tasks');
    const tr = el('tr', {class: 'item' + (expired ? ' is-overdue' : '')},
      Ops.cell('Customer', '', el('a', {href: '/customers/' + encodeURIComponent(r.customer_id), dir: 'auto'},
        el('bdi', {}, r.customer_name || r.customer_id))),
      Ops.cell('Item', '', el('strong', {}, Ops.kindText(r.kind)), el('span', {class: 'sub muted'}, r.id)),
      Ops.cell('Expires', 'c-due', el('time', {datetime: r.expires_on}, Ops.formatDate(r.expires_on)),
        rel === Ops.formatDate(r.expires_on) ? null :
          el('span', {class: 'due-rel' + (expired ? ' due-late' : '')}, expired ? `expired ${rel}` : `expires ${rel}`)),
      Ops.cell('Next threshold', '', r.next_threshold ? Ops.thresholdText(r.next_threshold) : 'None left'),
      Ops.cell('Tasks', '', t ? el('a', {href: '/tasks/' + encodeURIComponent(t.id)}, 'Newest task, due ',
        Ops.formatDate(t.due_date)) : el('span', {class: 'muted'}, 'None yet'), t ? ' ' : null,
        t ? Ops.statusBadge(t.status) : null, t ? ' ' : null, t ? all : null));
    all.addEventListener('click', () => toggleTasks(all, r, tr));
    const kinds = $('f-kind-list');
    if (![...kinds.options].some((o) => o.value === r.kind)) kinds.append(el('option', {value: r.kind}));
    return tr;
  }

  async function showFilters() {
    $('f-kind').value = view.kind || '';
    $('f-before').value = view.expires_before || '';
    picker.set(view.user_id ? {id: view.user_id, name: view.user_id} : null);
    if (view.user_id) {
      try {
        const {data} = await api('GET', '/ops/customers/' + encodeURIComponent(view.user_id));
        if (view.user_id === data.id && !$('f-customer').matches(':focus')) picker.set(data);
      } catch (e) { /* the id stays shown */ }
    }
  }

  async function start() {
    Ops.wireLogout($('logout'));
    readUrl();
    const list = $('rows');
    const count = () => {
      const n = list.querySelectorAll('tr.item').length;
      $('count').textContent = `${n} item${n === 1 ? '' : 's'}${$('more').hidden ? '' : ' shown'}`;
    };
    const load = Ops.pager({
      path: () => {
        const p = new URLSearchParams({limit: '100'});
        for (const k of KEYS) if (view[k]) p.set(k, view[k]);
        return '/ops/renewals?' + p;
      },
      list, more: $('more'), empty: $('empty'), row, onError: fail, onLoaded: count});
    reload = () => { $('error').hidden = true; return load(); };
    /* the customer, picked by name (picker.js) */
    picker = Ops.picker($('f-customer'), {kind: 'customer',
      onPick: (c) => setView(Object.assign({}, view, {user_id: c ? c.id : undefined}))});
    $('f-kind').addEventListener('change', () => {
      const k = $('f-kind').value.trim().toLowerCase().replace(/[\s-]+/g, '_');
      $('f-kind').value = k;
      setView(Object.assign({}, view, {kind: k || undefined}));
    });
    $('f-before').addEventListener('change', () =>
      setView(Object.assign({}, view, {expires_before: $('f-before').value || undefined})));
    $('f-reset').addEventListener('click', () => { setView({}); showFilters(); });
    $('filters').addEventListener('submit', (ev) => ev.preventDefault());
    try {
      const [me] = await Promise.all([Ops.signedIn(), Ops.loadStaff().catch(() => null)]);
      today = me.today;
    } catch (e) {
      fail(e);
      return;
    }
    await Promise.all([showFilters(), reload()]);
    performance.mark('opstasks:renewals-ready');
  }

  document.addEventListener('DOMContentLoaded', start);
})();
