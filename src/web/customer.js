/* customer.js: /customers/{id}, one customer: details (GET
 * /ops/customers/{id}), their tasks in every status (GET /ops/tasks?user_id=
 * &status=all, counts from /ops/tasks/stats), their renewal items with the
 * next threshold and newest task (GET /ops/renewals?user_id=) and their
 * recent events (GET /ops/events?user_id=), each list paged. */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  const id = decodeURIComponent(location.pathname.replace(/^\/customers\//, ''));
  const q = encodeURIComponent(id);
  const rules = new Map();
  let today = '';

  function fail(e) {
    $('error').textContent = e.status === 404 ? `There is no customer ${id}.` : Ops.errorText(e);
    $('error').hidden = false;
  }

  function renewalRow(r) {
    const t = r.newest_task;
    const rel = Ops.daysText(r.expires_on, today, 'in', 'ago');
    const expired = r.expires_on < today;
    return el('tr', {class: 'item' + (expired ? ' is-overdue' : '')},
      Ops.cell('Item', '', el('strong', {}, Ops.kindText(r.kind)), el('span', {class: 'sub muted'}, r.id)),
      Ops.cell('Expires', 'c-due', el('time', {datetime: r.expires_on}, Ops.formatDate(r.expires_on)),
        rel === Ops.formatDate(r.expires_on) ? null :
          el('span', {class: 'due-rel' + (expired ? ' due-late' : '')}, expired ? `expired ${rel}` : `expires ${rel}`)),
      Ops.cell('Next threshold', '', r.next_threshold ? Ops.thresholdText(r.next_threshold) : 'None left'),
      Ops.cell('Newest task', '', t ? el('a', {href: '/tasks/' + encodeURIComponent(t.id)}, 'Task due ',
        Ops.formatDate(t.due_date)) : 'None yet', t ? ' ' : null, t ? Ops.statusBadge(t.status) : null));
  }

  let rulesLoaded = null;  /* the rules' names, for the events that matched them */
  async function eventItem(ev) {
    rulesLoaded = rulesLoaded || api('GET', '/ops/rules?limit=500')
      .then(({data}) => { for (const r of data.data) rules.set(r.id, r.name); }, () => null);
    await rulesLoaded;
    const titles = await Promise.all((ev.tasks || []).slice(0, 10).map((tid) =>
      api('GET', '/ops/tasks/' + encodeURIComponent(tid)).then((r) => r.data.title, () => tid)));
    const li = el('li', {},
      el('time', {datetime: ev.occurred_at}, Ops.formatTime(ev.occurred_at)), ' ',
      el('code', {class: 'ev-type'}, ev.type));
    if ((ev.matched_rules || []).length)
      li.append(el('span', {class: 'muted'}, ' · rules: ', ev.matched_rules.map((r) => rules.get(r) || r).join(', ')));
    if (titles.length) {
      const ul = el('ul', {class: 'ev-tasks'});
      ev.tasks.slice(0, 10).forEach((tid, i) => ul.append(el('li', {}, 'Made ',
        Ops.titleNode('a', {href: '/tasks/' + encodeURIComponent(tid)}, titles[i]))));
      li.append(ul);
    }
    if (ev.data && Object.keys(ev.data).length)
      li.append(el('details', {class: 'raw'}, el('summary', {}, 'Data'), el('pre', {}, JSON.stringify(ev.data, null, 2))));
    return li;
  }

  async function loadCounts() {
    try {
      const {data} = await api('GET', '/ops/tasks/stats?user_id=' + q);
      const parts = Ops.STATUSES.filter((s) => data.counts[s]).map((s) => `${data.counts[s]} ${Ops.STATUS_LABEL[s].toLowerCase()}`);
      $('task-counts').textContent = parts.length ? parts.join(' · ') : 'No tasks yet';
    } catch (e) { /* the list says it too */ }
  }

  async function start() {
    Ops.wireLogout($('logout'));
    let me, c;
    try {
      [me] = await Promise.all([Ops.signedIn(), Ops.loadStaff().catch(() => null)]);
      today = me.today;
      c = (await api('GET', '/ops/customers/' + q)).data;
    } catch (e) {
      $('name').textContent = 'Customer not found';
      $('main').removeAttribute('aria-busy');
      fail(e);
      return;
    }
    document.title = `${c.name} · opstasks`;
    $('name').textContent = c.name;
    const dl = $('facts');
    const fact = (k, ...v) => dl.append(el('dt', {}, k), el('dd', {}, ...v));
    fact('Customer id', el('code', {}, c.id));
    fact('Email', c.email ? el('a', {href: 'mailto:' + c.email}, c.email) : '—');
    fact('Owner', c.owner_id ? Ops.staffName(c.owner_id) : 'Nobody');
    fact('Since', Ops.formatTime(c.created_at));
    $('ren-all').href = '/renewals?user_id=' + q;
    $('ren-all').setAttribute('aria-label', `Open in Renewals: ${c.name}'s items`);

    const tasks = Ops.pager({path: () => `/ops/tasks?user_id=${q}&status=${$('f-status').value}&limit=50`,
                             list: $('tasks'), more: $('tasks-more'), empty: $('tasks-empty'),
                             row: (t) => Ops.taskRow(t, today), onError: fail});
    $('f-status').addEventListener('change', tasks);
    const ren = Ops.pager({path: () => `/ops/renewals?user_id=${q}&limit=50`, list: $('renewals'),
                           more: $('ren-more'), empty: $('ren-empty'), row: renewalRow, onError: fail});
    const evs = Ops.pager({path: () => `/ops/events?user_id=${q}&limit=10`, list: $('events'), more: $('ev-more'),
                           empty: $('ev-empty'), row: eventItem, onError: fail});
    await Promise.all([tasks(), ren(), evs(), loadCounts()]);
    $('main').removeAttribute('aria-busy');
    performance.mark('opstasks:customer-ready');
  }

  document.addEventListener('DOMContentLoaded', start);
})();
