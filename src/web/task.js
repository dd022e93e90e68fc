/* task.js: /tasks/{id}, one task: every field editable, what can be done to
 * it now (start, also while overdue; complete and cancel with a 10-second
 * undo; reopen), why it exists (the renewal item and the threshold crossed,
 * the rule and its event, or who made it), its comments with @-mentions of
 * staff, and its history in words. Everything from the API goes in as text;
 * titles and names are isolated (dir="auto", <bdi>). */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const id = decodeURIComponent(location.pathname.replace(/^\/tasks\//, ''));
  const base = '/ops/tasks/' + enc(id);
  const bdi = (s) => el('bdi', {}, s);
  let today = null, task = null, history = [], comments = [];
  let why = {};  /* {rules: Map, renewal: item | null, event: row | null} for the task */
  const rules = new Map();

  /* "2 d 3 h", "5 h 10 min", "12 min" (Ops.duration once the queue's lands) */
  const dur = Ops.duration || ((ms) => {
    const min = Math.max(0, Math.round(Math.abs(ms) / 60000));
    if (min < 60) return `${min} min`;
    const h = Math.floor(min / 60);
    if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
    return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${Math.floor(h / 24)} d`;
  });

  const kindText = (k) => String(k || '').replace(/_/g, ' ');
  const label = (s) => Ops.STATUS_LABEL[s] || String(s);
  const isStaff = (sid) => !!sid && Ops.staffName(sid) !== sid;

  function customerLink(cid) {
    if (!cid) return '—';
    return el('a', {href: '/customers/' + enc(cid)}, bdi(Ops.customerName(cid)));
  }

  /* Who did it: a person's or token's name, the renewals engine, a rule by
   * its name, the system. */
  function actorText(actor, name) {
    if (!actor || actor === 'system') return 'System';
    if (actor === 'renewals') return 'Renewals';
    if (actor.startsWith('rule:')) {
      const r = rules.get(actor.slice(5));
      return `Rule “${r ? r.name : actor.slice(5)}”`;
    }
    return Ops.actorName({actor, actor_name: name});
  }

  /* ---- the SLA: time left while active, how it ended once final ---- */
  function slaText(t) {
    /* SLA clocks: a paused clock stands still, judged at its pause's start */
    if (t.sla_due_at && t.waiting_on_customer && Ops.ACTIVE.has(t.status)) {
      const s = Ops.slaInfo(t, Date.parse(t.sla_paused_at));
      return {text: `Paused (waiting on the customer): ${s.text}`, state: 'paused'};
    }
    if (!t.sla_due_at || Ops.ACTIVE.has(t.status)) return Ops.slaInfo(t);
    const late = Date.parse(t.status === 'COMPLETED' ? t.completed_at : t.cancelled_at) - Date.parse(t.sla_due_at);
    if (t.status === 'COMPLETED')
      return late <= 0 ? {text: `SLA met: completed ${dur(late)} before its deadline`, state: 'met'}
        : {text: `SLA breached: completed ${dur(late)} after its deadline`, state: 'breached'};
    return late <= 0 ? {text: 'Cancelled before its deadline', state: 'met'}
      : {text: `Cancelled ${dur(late)} after its deadline (SLA breached)`, state: 'breached'};
  }

  function statusBadge(t) {
    const over = t.status === 'OVERDUE';
    const text = over && t.work_status === 'IN_PROGRESS' ? 'Overdue · in progress' : label(t.status);
    return el('span', {class: 'badge status status-' + t.status.toLowerCase()},
      over ? el('span', {class: 'icon', 'aria-hidden': 'true'}, '⚠') : null, text);
  }

  /* ---- history in words ---- */
  function val(field, v) {
    if (v === null || v === undefined) return 'none';
    if (field === 'priority') return Ops.PRIORITY_LABEL[v] || String(v);
    if (field === 'assignee_id') return bdi(Ops.staffName(v));
    if (field === 'user_id') return bdi(Ops.customerName(v));
    if (field === 'due_date') return Ops.formatDate(v);
    if (field === 'sla_hours') return `${+v} h`;
    if (field === 'sla_due_at' || field === 'sla_started_at') return Ops.formatTime(v);
    if (field === 'title') return el('bdi', {class: 'title-val'}, String(v));
    return bdi(String(v));
  }

  /* What one line did, as words after "Who: " (an array of text and nodes). */
  function what(h) {
    const f = h.field, from = val(f, h.from), to = val(f, h.to);
    if (h.type === 'created') {
      if (h.actor && h.actor.startsWith('rule:') && task.event_id) return [`created this task for event ${task.event_id}`];
      return ['created this task'];
    }
    if (h.type === 'sla_at_risk') return ['the SLA is at risk: its deadline is ', to];
    if (h.type === 'sla_breached') {
      const late = Date.parse(h.at) - Date.parse(h.to);
      return [late >= 60000 ? `SLA breached ${dur(late)} after its deadline` : 'SLA breached at its deadline'];
    }
    if (h.type === 'status_changed' && f === 'work_status')
      return [h.to === 'IN_PROGRESS' ? 'started it while overdue' : 'put it back to open (still overdue)'];
    if (h.type === 'status_changed') {
      if (h.to === 'OVERDUE') return ['it went overdue: its due date passed'];
      if (h.from === 'OVERDUE') return [`it is no longer overdue (${label(h.to)}): its due date moved`];
      if (h.from === 'COMPLETED' || h.from === 'CANCELLED') return [`reopened it (${label(h.from)} → ${label(h.to)})`];
      const verbs = {IN_PROGRESS: 'started it', COMPLETED: 'completed it', CANCELLED: 'cancelled it',
                     OPEN: 'put it back to open'};
      return [verbs[h.to] || `changed the status from ${label(h.from)} to ${label(h.to)}`];
    }
    const set = (noun, add, drop) => h.from === null ? [add, to] : h.to === null ? [drop, ' (was ', from, ')']
      : [`changed the ${noun} from `, from, ' to ', to];
    switch (f) {
      case 'title': return ['renamed it from “', from, '” to “', to, '”'];
      case 'description':
        return [h.from === null ? 'added a description' : h.to === null ? 'removed the description'
          : 'changed the description'];
      case 'assignee_id': return set('assignee', 'assigned it to ', 'unassigned it');
      case 'user_id': return set('customer', 'set the customer to ', 'removed the customer');
      case 'priority': return ['changed the priority from ', from, ' to ', to];
      case 'due_date': return ['moved the due date from ', from, ' to ', to];
      case 'sla_hours': return set('SLA', 'set an SLA of ', 'removed the SLA');
      case 'sla_due_at': return h.to === null ? ['the SLA deadline is gone'] : ['the SLA deadline is now ', to];
      case 'waiting_on_customer':
        return [h.to ? 'paused the SLA clock: waiting on the customer' : 'resumed the SLA clock'];
      case 'sla_started_at': return ['restarted the SLA clock'];
      case 'sla_breached': return ['the SLA breach was cleared: the deadline moved later'];
      default: return [`changed ${f} from `, from, ' to ', to];
    }
  }

  /* "passport expires 2027-01-10, 30-day threshold" for a line the renewals
   * engine wrote (its action has the line's time), else null. */
  function renewalContext(h) {
    const it = why.renewal;
    if (h.actor !== 'renewals' || !it || !it.actions) return null;
    const a = it.actions.find((x) => x.at === h.at && x.task_id === task.id);
    return a ? `${kindText(it.kind)} expires ${a.expires_on}, ${a.days_before}-day threshold` : null;
  }

  /* One entry per change: the lines one actor wrote at one moment (a PATCH
   * of several fields, an escalation) read as one sentence. */
  function renderHistory() {
    const groups = [];
    for (const h of history) {
      const g = groups[groups.length - 1];
      if (g && g[0].at === h.at && g[0].actor === h.actor && h.type !== 'created' && g[0].type !== 'sla_breached' &&
          h.type !== 'sla_breached') g.push(h);
      else groups.push([h]);
    }
    $('history').replaceChildren(...groups.map((g) => {
      const h = g[0], ctx = renewalContext(h);
      return el('li', {},
        el('time', {datetime: h.at}, Ops.formatTime(h.at)), ' ',
        el('span', {class: 'what'}, el('span', {class: 'actor'}, bdi(actorText(h.actor, h.actor_name))), ': ',
          ctx ? ctx + '; ' : null, ...g.flatMap((x, i) => i ? ['; ', ...what(x)] : what(x))));
    }));
  }

  /* ---- why this task exists ---- */
  function facts(rows) {
    const dl = el('dl', {class: 'facts facts-small'});
    for (const [k, ...v] of rows) if (v.length && v[0] !== null) dl.append(el('dt', {}, k), el('dd', {}, ...v));
    return dl;
  }

  function eventData(data) {
    const rows = [];
    const walk = (o, path, depth) => {
      for (const [k, v] of Object.entries(o || {})) {
        if (rows.length >= 30) return;
        const p = path ? `${path}.${k}` : k;
        if (v && typeof v === 'object' && !Array.isArray(v) && depth < 3) walk(v, p, depth + 1);
        else rows.push([p, bdi(typeof v === 'string' ? v : JSON.stringify(v))]);
      }
    };
    walk(data, '', 0);
    return rows.length ? facts(rows) : el('p', {class: 'muted'}, 'The event carried no data.');
  }

  function renderWhy() {
    const t = task, box = $('why-body'), made = history.find((h) => h.type === 'created');
    if (t.source === 'RENEWAL') {
      const it = why.renewal;
      if (!it) {
        box.replaceChildren(el('p', {}, `The renewals engine made it for the renewal item ${t.renewal_id}, which no ` +
                                          'longer exists.'));
        return;
      }
      const mine = (it.actions || []).filter((a) => a.task_id === t.id);
      const first = mine.find((a) => a.action === 'created');
      const left = Ops.dayNumber(it.expires_on) - Ops.dayNumber(today);
      const rel = left > 0 ? `in ${Ops.plural(left, 'day')}` : left === 0 ? 'today' : `${Ops.plural(-left, 'day')} ago`;
      box.replaceChildren(
        el('p', {}, 'The renewals engine made it because a renewal threshold of ',
          el('a', {href: '/customers/' + enc(it.customer_id)}, bdi(Ops.customerName(it.customer_id))),
          `’s ${kindText(it.kind)} was crossed.`),
        facts([
          ['Item', el('a', {href: '/customers/' + enc(it.customer_id) + '#' + enc(it.id)}, kindText(it.kind)),
           el('span', {class: 'muted'}, ` (${it.id})`)],
          ['Expires', el('time', {datetime: it.expires_on}, Ops.formatDate(it.expires_on)), ` (${rel})`],
          ['Threshold', first ? `${first.days_before} days before expiry, crossed on ${Ops.formatTime(first.at)}` : null],
          ...mine.filter((a) => a.action === 'escalated').map((a) =>
            ['Escalated', `${a.days_before} days before expiry (expiry ${a.expires_on}), on ${Ops.formatTime(a.at)}`])]));
      return;
    }
    if (t.source === 'RULE') {
      const r = why.rules.get(t.rule_id), ev = why.event;
      box.replaceChildren(
        el('p', {}, 'The rule ', r ? el('strong', {}, bdi(r.name)) : `${t.rule_id} (since deleted)`,
          ev ? ` made it when the event ${ev.type} arrived.` : ' made it from an event.'),
        facts([['Rule', r ? bdi(r.name) : null, r ? el('span', {class: 'muted'}, ` (${t.rule_id}, on ${r.event_type})`) : null],
               ['Event', t.event_id, ev ? el('span', {class: 'muted'}, ` (${ev.type})`) : null],
               ['Occurred', ev ? Ops.formatTime(ev.occurred_at) : null],
               ['Customer', ev && ev.user_id ? customerLink(ev.user_id) : null]]),
        ev ? el('h3', {}, 'The event’s data') : el('p', {class: 'muted'},
          'The event is no longer kept (events are removed after the retention time).'),
        ev ? eventData(ev.data) : null);
      return;
    }
    box.replaceChildren(el('p', {}, 'Made by hand by ',
      el('strong', {}, bdi(made ? actorText(made.actor, made.actor_name) : 'someone')),
      ` on ${Ops.formatTime(t.created_at)}.`));
  }

  /* ---- the task's fields and actions ---- */
  function renderTask() {
    const t = task;
    document.title = `${t.title} · opstasks`;
    const overdue = t.status === 'OVERDUE';
    $('head').replaceChildren(
      el('h1', {id: 'title', dir: 'auto', class: overdue ? 'is-overdue-title' : null}, t.title),
      el('p', {class: 'task-badges'}, statusBadge(t), ' ',
        el('span', {class: 'badge prio prio-' + t.priority.toLowerCase()}, Ops.PRIORITY_LABEL[t.priority])),
      actions(t));
    const sla = slaText(t), due = Ops.dueText(t, today);
    const dl = $('facts');
    dl.replaceChildren();
    const fact = (k, ...v) => dl.append(el('dt', {}, k), el('dd', {}, ...v));
    fact('Status', statusBadge(t));
    fact('Priority', Ops.PRIORITY_LABEL[t.priority]);
    fact('Due', el('time', {datetime: t.due_date}, Ops.formatDate(t.due_date)),
      due ? el('span', {class: 'due-rel' + (overdue ? ' due-late' : '')}, due) : null);
    fact('SLA', el('span', {class: 'sla-' + sla.state}, sla.text),
      t.sla_hours ? el('span', {class: 'muted'}, ` (${+t.sla_hours} h)`) : null);
    if (t.waiting_on_customer)
      fact('Waiting', el('span', {class: 'sla-paused'}, 'On the customer since ', Ops.formatTime(t.sla_paused_at)));
    fact('Assignee', t.assignee_id ? bdi(Ops.staffName(t.assignee_id)) : 'Unassigned');
    fact('Customer', customerLink(t.user_id));
    fact('Source', {MANUAL: 'Made by hand', RENEWAL: 'Renewals', RULE: 'A rule'}[t.source] || t.source);
    fact('Created', Ops.formatTime(t.created_at));
    fact('Updated', Ops.formatTime(t.updated_at));
    if (t.started_at) fact('Started', Ops.formatTime(t.started_at));
    if (t.completed_at) fact('Completed', Ops.formatTime(t.completed_at));
    if (t.cancelled_at) fact('Cancelled', Ops.formatTime(t.cancelled_at));
    $('desc').replaceChildren(t.description ? el('p', {class: 'description', dir: 'auto'}, t.description)
      : el('p', {class: 'muted'}, 'No description.'));
  }

  function actions(t) {
    const box = el('div', {class: 'actions', role: 'group', 'aria-label': 'What to do with this task'});
    const add = (text, cls, fn, extra) => {
      const b = el('button', Object.assign({type: 'button', class: 'btn btn-small ' + cls}, extra || {}), text);
      b.addEventListener('click', () => fn(b));
      box.append(b);
    };
    if (Ops.ACTIVE.has(t.status)) {
      if (t.work_status === 'OPEN') add('Start', 'btn-primary', (b) => change(b, {status: 'IN_PROGRESS'}, 'started'));
      add('Complete', 'btn-ok', (b) => change(b, {status: 'COMPLETED'}, 'completed'));
      /* SLA clocks: waiting on the customer pauses the clock */
      add('Waiting on customer', 'btn-quiet btn-waiting', (b) => change(b, {waiting_on_customer: !t.waiting_on_customer},
        t.waiting_on_customer ? 'no longer waiting' : 'waiting on the customer'),
        {id: 'waiting-btn', 'aria-pressed': String(!!t.waiting_on_customer)});
      add('Cancel', 'btn-quiet', async (b) => {
        const yes = await Ops.confirmAction({title: 'Cancel this task?', danger: true, yes: 'Cancel task',
          text: `“\u2068${t.title}\u2069” will be cancelled. You can undo it for 10 seconds, or reopen it later.`});
        if (yes) change(b, {status: 'CANCELLED'}, 'cancelled');
        else b.focus();
      });
    } else {
      add('Reopen', '', (b) => change(b, {status: 'OPEN'}, 'reopened'));
    }
    add('Edit', 'btn-quiet', toggleEditor, {id: 'edit-btn', 'aria-expanded': String(!!$('edit-form')),
                                           'aria-controls': 'editor-box'});
    return box;
  }

  /* Focus a button of the actions by its text (else the first), after a re-render. */
  function focusAction(text) {
    const bs = [...$('head').querySelectorAll('.actions button')];
    (bs.find((b) => b.textContent === text) || bs[0]).focus();
  }

  /* complete and cancel answer with the queue's toast: Undo for 10 s
   * reopens the task into the work status it had (common.js) */
  const undoToast = Ops.undoToast;

  async function change(btn, body, verb) {
    btn.disabled = true;
    const before = task;
    try {
      task = await Ops.patchTask(task, body);
      closeEditor();
      renderTask();
      focusAction(verb === 'started' ? 'Complete' : verb === 'reopened' ? 'Start'
        : verb.includes('waiting') ? 'Waiting on customer' : 'Reopen');
      if (verb === 'completed' || verb === 'cancelled') {
        undoToast(task, before, async (back) => {
          if (!back) return;
          task = back;
          renderTask();
          focusAction('Complete');
          await refresh();
        });
      } else {
        Ops.toast(`Task ${verb}`);
        Ops.announce(`Task ${verb}`);
      }
      await refresh();
    } catch (e) {
      Ops.toast(Ops.errorText(e), true);
      if (e.code === 'version_conflict') await refresh();
    } finally {
      btn.disabled = false;
    }
  }

  /* ---- the editor: every field ---- */
  function closeEditor() {
    $('editor-box').replaceChildren();
    const b = $('edit-btn');
    if (b) b.setAttribute('aria-expanded', 'false');
  }

  function toggleEditor(btn) {
    if ($('edit-form')) {
      closeEditor();
      btn.focus();
      return;
    }
    btn.setAttribute('aria-expanded', 'true');
    const t = task;
    const title = el('input', {name: 'title', type: 'text', maxlength: 200, dir: 'auto', value: t.title});
    const desc = el('textarea', {name: 'description', rows: 5, maxlength: 10000, dir: 'auto'});
    desc.value = t.description || '';
    const prio = el('select', {name: 'priority'});
    for (const p of Ops.PRIORITIES) prio.append(el('option', {value: p}, Ops.PRIORITY_LABEL[p]));
    prio.value = t.priority;
    const due = el('input', {name: 'due_date', type: 'date', value: t.due_date});
    const sla = el('input', {name: 'sla_hours', type: 'text', inputmode: 'decimal', value: t.sla_hours ?? ''});
    const asg = el('input', {name: 'assignee_id', type: 'text', placeholder: 'Unassigned'});
    const cus = el('input', {name: 'user_id', type: 'text', placeholder: 'No customer'});
    const form = el('form', {id: 'edit-form', class: 'panel edit-form', novalidate: true, 'aria-labelledby': 'edit-h'},
      el('h2', {id: 'edit-h'}, 'Edit the task'),
      el('p', {class: 'form-error', role: 'alert', hidden: true}),
      el('div', {class: 'form-grid'},
        Ops.field('ed-title', 'Title', title, 'At most 200 characters'),
        Ops.field('ed-desc', 'Description', desc),
        Ops.field('ed-prio', 'Priority', prio),
        Ops.field('ed-due', 'Due date', due),
        Ops.field('ed-sla', 'SLA hours', sla, 'Hours from creation; empty: no SLA'),
        Ops.field('ed-assignee', 'Assignee', asg, 'Type a name; empty: unassigned'),
        Ops.field('ed-customer', 'Customer', cus, 'Type a name; empty: none')),
      el('div', {class: 'form-actions'},
        el('button', {type: 'submit', class: 'btn btn-primary'}, 'Save changes'),
        el('button', {type: 'button', class: 'btn btn-quiet', id: 'edit-close'}, 'Close without saving')));
    $('editor-box').replaceChildren(form);
    const pa = Ops.picker(asg, {kind: 'staff', filter: (s) => s.active, onPick: () => {}});
    const pc = Ops.picker(cus, {kind: 'customer', onPick: () => {}});
    if (t.assignee_id) pa.set({id: t.assignee_id, name: Ops.staffName(t.assignee_id)});
    if (t.user_id) pc.set({id: t.user_id, name: Ops.customerName(t.user_id)});
    Ops.clearOnInput(form);
    const close = () => { closeEditor(); $('edit-btn').focus(); };
    $('edit-close').addEventListener('click', close);
    form.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !ev.defaultPrevented) close(); });
    const fail = (field, message) => { Ops.showError(form, {field, message}); return null; };

    /* The PATCH body of what changed, or null after showing what is wrong. */
    function changes() {
      const body = {};
      if (!title.value.trim()) return fail('title', 'A task needs a title');
      if (title.value !== t.title) body.title = title.value;
      if ((desc.value || null) !== (t.description || null)) body.description = desc.value || null;
      if (prio.value !== t.priority) body.priority = prio.value;
      if (!due.value) return fail('due_date', due.validity.badInput ? 'That is not a whole date: pick a day, month and year'
        : 'A task needs a due date');
      if (due.value !== t.due_date) body.due_date = due.value;
      const s = sla.value.trim().replace(',', '.');
      const hours = s === '' ? null : Number(s);
      if (hours !== null && !(hours > 0 && hours <= 8760))
        return fail('sla_hours', 'SLA hours are a number above 0 and at most 8760 (a year), or empty for no SLA');
      if (hours !== (t.sla_hours ?? null)) body.sla_hours = hours;
      const a = pa.value(), c = pc.value();
      if (asg.value.trim() && !a) return fail('assignee_id', 'Pick a staff member from the list, or leave it empty');
      if (cus.value.trim() && !c) return fail('user_id', 'Pick a customer from the list, or leave it empty');
      if ((a ? a.id : null) !== (t.assignee_id || null)) body.assignee_id = a ? a.id : null;
      if ((c ? c.id : null) !== (t.user_id || null)) body.user_id = c ? c.id : null;
      return body;
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      const body = changes();
      if (!body) return;
      if (!Object.keys(body).length) { close(); Ops.toast('Nothing changed'); return; }
      const btn = form.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        task = await Ops.patchTask(t, body);
        closeEditor();
        await refresh();
        $('edit-btn').focus();
        Ops.toast('Task saved');
        Ops.announce('Task saved');
      } catch (e) {
        if (e.code !== 'version_conflict') return Ops.showError(form, e);
        Ops.toast(Ops.errorText(e), true);
        closeEditor();
        await refresh();
        $('edit-btn').focus();
      } finally {
        btn.disabled = false;
      }
    });
    title.focus();
  }

  /* ---- comments, with @-mentions shown as names ---- */
  function withMentions(body) {
    const out = [];
    let last = 0;
    for (const m of body.matchAll(/@(sta_[A-Za-z0-9_-]+)/g)) {
      if (!isStaff(m[1])) continue;
      out.push(body.slice(last, m.index),
        el('span', {class: 'mention', title: '@' + m[1]}, '@', bdi(Ops.staffName(m[1]))));
      last = m.index + m[0].length;
    }
    out.push(body.slice(last));
    return out;
  }

  function renderComments() {
    $('comments-h').textContent = comments.length ? `Comments (${comments.length})` : 'Comments';
    $('comment-list').replaceChildren(...(comments.length ? comments.map((c) => el('li', {class: 'comment'},
      el('p', {class: 'comment-head'}, el('span', {class: 'actor'}, bdi(actorText(c.author, null))), ' ',
        el('time', {datetime: c.created_at}, Ops.formatTime(c.created_at))),
      el('p', {class: 'comment-body', dir: 'auto'}, ...withMentions(c.body))))
      : [el('li', {class: 'muted'}, 'No comments yet.')]));
  }

  /* The mention picker: typing @ and a few letters before the caret lists
   * active staff whose name has a word beginning so (or whose id does);
   * arrows move, Enter or Tab inserts "@sta_…", Escape closes. */
  function mentionPicker() {
    const ta = $('comment-body'), list = $('mention-list'), note = $('mention-note');
    let found = [], active = 0, start = -1;
    const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    const close = () => {
      list.hidden = true;
      found = [];
      start = -1;
      ta.removeAttribute('aria-activedescendant');
    };
    const mark = () => {
      [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
      if (found.length) ta.setAttribute('aria-activedescendant', 'mention-' + active);
    };
    function update() {
      const before = ta.value.slice(0, ta.selectionStart);
      const m = /(^|[\s(,;])@([^\s@]{0,30}(?: [^\s@]{1,30})?)$/u.exec(before);
      if (!m || ta.selectionStart !== ta.selectionEnd) return close();
      const words = fold(m[2]).split(/\s+/).filter(Boolean);
      found = Ops.staffList().filter((s) => s.active && words.every((w) =>
        fold(s.name).split(/[^\p{L}\p{N}]+/u).some((x) => x.startsWith(w)) || s.id.toLowerCase().startsWith(w) ||
        s.id.toLowerCase().startsWith('sta_' + w))).slice(0, 8);
      if (!found.length) {
        note.textContent = words.length ? 'Nobody by that name' : '';
        return close();
      }
      start = before.length - m[2].length - 1;
      active = Math.min(active, found.length - 1);
      list.replaceChildren(...found.map((s, i) => {
        const li = el('li', {id: 'mention-' + i, role: 'option', class: 'mention-opt'}, bdi(s.name), ' ',
          el('span', {class: 'muted'}, '@' + s.id));
        li.addEventListener('mousedown', (ev) => { ev.preventDefault(); pick(i); });
        return li;
      }));
      list.hidden = false;
      mark();
      note.textContent = `${Ops.plural(found.length, 'name')} found; up and down arrows to choose, Enter to insert`;
    }
    function pick(i) {
      const s = found[i];
      if (!s || start < 0) return;
      const end = ta.selectionStart, ins = '@' + s.id + ' ';
      ta.value = ta.value.slice(0, start) + ins + ta.value.slice(end);
      ta.selectionStart = ta.selectionEnd = start + ins.length;
      close();
      note.textContent = `${s.name} mentioned`;
      ta.focus();
    }
    ta.addEventListener('input', () => { active = 0; update(); });
    ta.addEventListener('click', update);
    ta.addEventListener('blur', () => setTimeout(close, 100));
    ta.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        ta.form.requestSubmit();
        return;
      }
      if (list.hidden || !found.length) return;
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        active = (active + (ev.key === 'ArrowDown' ? 1 : found.length - 1)) % found.length;
        mark();
      } else if (ev.key === 'Enter' || ev.key === 'Tab') {
        pick(active);
      } else if (ev.key === 'Escape') {
        close();
      } else {
        return;
      }
      ev.preventDefault();
      ev.stopPropagation();
    });
  }

  function wireComments() {
    const form = $('comment-form'), ta = $('comment-body');
    mentionPicker();
    Ops.clearOnInput(form);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      if (!ta.value.trim()) return Ops.showError(form, {field: 'body', message: 'Write something first'});
      const btn = form.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        const {data} = await api('POST', base + '/comments', {body: ta.value});
        comments.push(data);
        ta.value = '';
        renderComments();
        Ops.announce('Comment added');
        ta.focus();
      } catch (e) {
        Ops.showError(form, e);
      } finally {
        btn.disabled = false;
      }
    });
  }

  /* ---- loading ---- */
  const orNull = (p) => p.then(({data}) => data).catch((e) => { if (e.status === 404) return null; throw e; });

  /* What "why" needs beyond the task: the rules named in the history, the
   * renewal item (as its customer at creation: the task's may have changed)
   * with its actions, the rule's event. */
  async function loadWhy(t) {
    const ruleIds = new Set(history.filter((h) => h.actor && h.actor.startsWith('rule:')).map((h) => h.actor.slice(5)));
    if (t.rule_id) ruleIds.add(t.rule_id);
    const custAtStart = (history.find((h) => h.field === 'user_id') || {from: t.user_id}).from;
    const [, renewal, event] = await Promise.all([
      Promise.all([...ruleIds].filter((r) => !rules.has(r)).map(async (r) =>
        rules.set(r, await orNull(api('GET', '/ops/rules/' + enc(r)))))),
      t.renewal_id && custAtStart
        ? orNull(api('GET', `/ops/customers/${enc(custAtStart)}/renewals/${enc(t.renewal_id)}`)) : null,
      t.event_id ? orNull(api('GET', '/ops/events/' + enc(t.event_id))) : null]);
    const cust = [t.user_id, renewal && renewal.customer_id, event && event.user_id,
                  ...history.filter((h) => h.field === 'user_id').flatMap((h) => [h.from, h.to])];
    await Ops.loadCustomers(cust.filter(Boolean));
    why = {rules, renewal, event};
  }

  /* Task, history and comments again (after a change of ours or anyone's). */
  async function refresh() {
    const f = document.activeElement, again = f && $('head').contains(f) ? f.textContent : null;
    const [{data: t}, {data: h}, c] = await Promise.all([api('GET', base), api('GET', base + '/history'),
                                                         Ops.listAll(base + '/comments?limit=500', 4)]);
    task = t;
    history = h.data;
    comments = c;
    await loadWhy(t);
    renderTask();
    renderWhy();
    renderHistory();
    renderComments();
    if (again) focusAction(again);
  }

  async function start() {
    Ops.wireLogout($('logout'));
    const back = sessionStorage.getItem('opstasks.queue');
    if (back && /^\/tasks(\?|$)/.test(back)) $('back').setAttribute('href', back);
    const [me] = await Promise.all([api('GET', '/ops/me').then(({data}) => data).catch(() => null),
                                    Ops.loadStaff().catch(() => null)]);
    today = me ? me.today : new Date().toISOString().slice(0, 10);
    if (me) Ops.showNav(me);
    try {
      await refresh();
      $('body').hidden = false;
      $('error').hidden = true;
      wireComments();
    } catch (e) {
      $('error').textContent = e.status === 404 ? 'There is no such task.' : `Could not load the task: ${e.message}`;
      $('error').hidden = false;
      $('title').textContent = e.status === 404 ? 'Task not found' : 'Task';
    }
    $('task').setAttribute('aria-busy', 'false');
    /* changes by anyone (live.js): show them, keeping an open editor and a comment being written */
    document.addEventListener('ops:changes', (ev) => {
      const mine = ((ev.detail && ev.detail.changes) || []).some((c) => c.task_id === id);
      if (mine && task) refresh().catch(() => {});
    });
  }

  start();
})();
