/* task.js: /tasks/{id}, one task: its fields, description, actions and
 * history (GET /ops/tasks/{id} and /history). */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  const id = decodeURIComponent(location.pathname.replace(/^\/tasks\//, ''));
  let today = null;

  function historyText(h) {
    if (h.type === 'created') return 'Created';
    const show = (v) => {
      if (v === null || v === undefined) return 'none';
      if (h.field === 'status') return Ops.STATUS_LABEL[v] || String(v);
      if (h.field === 'priority') return Ops.PRIORITY_LABEL[v] || String(v);
      if (h.field === 'assignee_id') return Ops.staffName(v);
      return String(v);
    };
    const names = {status: 'Status', title: 'Title', description: 'Description', priority: 'Priority',
                   due_date: 'Due date', sla_hours: 'SLA hours', assignee_id: 'Assignee', user_id: 'Customer'};
    const name = names[h.field] || h.field || h.type;
    if (h.field === 'description') return 'Description changed';
    return `${name}: ${show(h.from)} → ${show(h.to)}`;
  }

  function render(t, history) {
    document.title = `${t.title} · opstasks`;
    const art = $('task');
    const sla = Ops.slaInfo(t);
    const due = Ops.dueText(t, today);
    const overdue = t.status === 'OVERDUE';
    const dl = el('dl', {class: 'facts'});
    const fact = (k, ...v) => dl.append(el('dt', {}, k), el('dd', {}, ...v));
    fact('Status', el('span', {class: 'badge status status-' + t.status.toLowerCase()},
      overdue ? el('span', {class: 'icon', 'aria-hidden': 'true'}, '⚠') : null, Ops.STATUS_LABEL[t.status]));
    fact('Priority', el('span', {class: 'badge prio prio-' + t.priority.toLowerCase()}, Ops.PRIORITY_LABEL[t.priority]));
    fact('Due', el('time', {datetime: t.due_date}, Ops.formatDate(t.due_date)),
      due ? el('span', {class: 'due-rel' + (overdue ? ' due-late' : '')}, due) : null);
    fact('SLA', el('span', {class: 'sla-' + sla.state}, sla.text));
    fact('Assignee', t.assignee_id ? Ops.staffName(t.assignee_id) : 'Unassigned');
    fact('Customer', t.user_id ? Ops.customerName(t.user_id) : '—');
    fact('Source', t.source ? t.source.charAt(0) + t.source.slice(1).toLowerCase() : '—');
    if (t.renewal_id) fact('Renewal', String(t.renewal_id));
    if (t.rule_id) fact('Rule', String(t.rule_id));
    fact('Created', Ops.formatTime(t.created_at));
    fact('Updated', Ops.formatTime(t.updated_at));
    if (t.started_at) fact('Started', Ops.formatTime(t.started_at));
    if (t.completed_at) fact('Completed', Ops.formatTime(t.completed_at));
    if (t.cancelled_at) fact('Cancelled', Ops.formatTime(t.cancelled_at));

    const editorBox = el('div', {id: 'editor-box'});
    const actions = Ops.actionButtons(t, (nt, verb) => {
      if (nt) { Ops.toast(`Task ${verb}`); Ops.announce(`Task ${verb}`); }
      load();
    }, (btn) => {
      if (editorBox.firstChild) {
        editorBox.replaceChildren();
        btn.setAttribute('aria-expanded', 'false');
        return;
      }
      btn.setAttribute('aria-expanded', 'true');
      const form = Ops.editor(t, 'ed', () => { Ops.toast('Task saved'); load(); },
                              () => { editorBox.replaceChildren(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); });
      editorBox.append(form);
      form.querySelector('select').focus();
    });

    const hist = el('ol', {class: 'history'});
    for (const h of history) {
      hist.append(el('li', {},
        el('time', {datetime: h.at}, Ops.formatTime(h.at)), ' ',
        el('span', {class: 'actor', title: h.actor && !h.actor.startsWith('token:') ? h.actor : null},
          Ops.actorName(h)), ' ',
        el('span', {class: 'what'}, historyText(h))));
    }

    art.replaceChildren(
      el('h1', {id: 'title', class: overdue ? 'is-overdue-title' : null}, t.title),
      actions, editorBox, dl,
      el('section', {'aria-labelledby': 'desc-h'}, el('h2', {id: 'desc-h'}, 'Description'),
        t.description ? el('p', {class: 'description'}, t.description) : el('p', {class: 'muted'}, 'No description.')),
      el('section', {'aria-labelledby': 'hist-h'}, el('h2', {id: 'hist-h'}, 'History'), hist));
    art.setAttribute('aria-busy', 'false');
  }

  async function load() {
    try {
      const [{data: t}, {data: h}] = await Promise.all([
        api('GET', '/ops/tasks/' + encodeURIComponent(id)),
        api('GET', '/ops/tasks/' + encodeURIComponent(id) + '/history')]);
      await Ops.loadCustomers([t.user_id]);
      render(t, h.data);
      $('error').hidden = true;
    } catch (e) {
      $('error').textContent = e.status === 404 ? 'There is no such task.' : `Could not load the task: ${e.message}`;
      $('error').hidden = false;
      $('title').textContent = e.status === 404 ? 'Task not found' : 'Task';
      $('task').setAttribute('aria-busy', 'false');
    }
  }

  async function start() {
    Ops.wireLogout($('logout'));
    const back = sessionStorage.getItem('opstasks.queue');
    if (back && /^\/tasks(\?|$)/.test(back)) $('back').setAttribute('href', back);
    const [me] = await Promise.all([Ops.api('GET', '/ops/me').then(({data}) => data).catch(() => null),
                                    Ops.loadStaff().catch(() => null)]);
    today = me ? me.today : new Date().toISOString().slice(0, 10);
    if (me) Ops.showNav(me);
    await load();
  }

  start();
})();
