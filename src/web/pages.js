/* pages.js: what the customer and renewals pages share (loaded by those two
 * pages only, after common.js, so the other pages do not carry it): day
 * counts in words, a renewal item's kind and next threshold, a task as a
 * row, isolated titles, and a list that pages through next_cursor. */
'use strict';

/* Days from today in the agreed format ("in 3 d", "due today", "2 d ago"
 * style words given by the caller); beyond 60 days the date itself. */
Ops.daysText = (ymd, today, soon, past) => {
  const d = Ops.dayNumber(ymd) - Ops.dayNumber(today);
  if (Number.isNaN(d)) return '';
  if (Math.abs(d) > 60) return Ops.formatDate(ymd);
  if (d === 0) return 'today';
  if (d === 1 && soon === 'in') return 'tomorrow';
  return d > 0 ? `${soon} ${d} d` : `${-d} d ${past}`;
};
/* "residence_permit" → "Residence permit" */
Ops.kindText = (k) => (k ? (k.charAt(0).toUpperCase() + k.slice(1)).replace(/_/g, ' ') : '');
/* The next threshold of a renewal item, in words; '' when none is left. */
Ops.thresholdText = (t) => (t ? `${t.days_before}-day threshold, ${Ops.PRIORITY_LABEL[t.priority] || t.priority}, ` +
  `crosses ${Ops.formatDate(t.crosses_on)}` : '');
/* A task title isolated from what is around it (dir=auto inside <bdi>). */
Ops.titleNode = (tag, attrs, title) => Ops.el(tag, Object.assign({dir: 'auto'}, attrs), Ops.el('bdi', {}, title));
/* The status badge of a task (or of a renewal item's newest task). */
Ops.statusBadge = (s, work) => Ops.el('span', {class: 'badge status status-' + s.toLowerCase()},
  s === 'OVERDUE' ? Ops.el('span', {class: 'icon', 'aria-hidden': 'true'}, '⚠') : null, Ops.STATUS_LABEL[s] || s,
  s === 'OVERDUE' && work === 'IN_PROGRESS' ? ' · in progress' : null);
/* Cell of a table row, with its label for the phone layout (cards). */
Ops.cell = (label, cls, ...kids) => Ops.el('td', {class: cls, 'data-label': label}, ...kids);
/* One task as a row: title (linked), status, priority, due, assignee, SLA. */
Ops.taskRow = (t, today) => {
  const {el, cell} = Ops, due = Ops.dueText(t, today), sla = Ops.slaInfo(t);
  return el('tr', {class: 'item' + (t.status === 'OVERDUE' ? ' is-overdue' : '')},
    cell('Task', 'c-title', Ops.titleNode('a', {href: '/tasks/' + encodeURIComponent(t.id), class: 'title-link',
                                                title: t.title}, t.title)),
    cell('Status', '', Ops.statusBadge(t.status, t.work_status)),
    cell('Priority', '', el('span', {class: 'badge prio prio-' + t.priority.toLowerCase()}, Ops.PRIORITY_LABEL[t.priority])),
    cell('Due', 'c-due', el('time', {datetime: t.due_date}, Ops.formatDate(t.due_date)),
         due ? el('span', {class: 'due-rel' + (t.status === 'OVERDUE' ? ' due-late' : '')}, due) : null),
    cell('Assignee', '', t.assignee_id ? Ops.staffName(t.assignee_id) : 'Unassigned'),
    cell('SLA', 'c-sla', el('span', {class: 'sla-' + sla.state}, sla.text)));
};
/* A list that pages through next_cursor: load() starts again, the "more"
 * button appends; an older answer arriving late is dropped; onLoaded() after
 * each page shown. */
Ops.pager = ({path, list, more, empty, row, onError, onLoaded}) => {
  let cursor = null, seq = 0;
  async function load(reset) {
    const my = ++seq, p = path();
    if (reset) cursor = null;
    more.disabled = true;
    try {
      const sep = p.includes('?') ? '&' : '?';
      const {data} = await Ops.api('GET', p + (cursor ? sep + 'cursor=' + encodeURIComponent(cursor) : ''));
      if (my !== seq) return;
      const rows = await Promise.all(data.data.map(row));
      if (my !== seq) return;
      if (reset) list.replaceChildren();
      list.append(...rows);
      cursor = data.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.children.length > 0;
      if (onLoaded) onLoaded();
    } catch (e) {
      if (my === seq) onError(e);
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => load(false));
  return () => load(true);
};
