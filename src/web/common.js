/* common.js: what every page of opstasks shares: the API client (the session
 * cookie goes along by itself; writes add the X-CSRF-Token header), building
 * DOM nodes (text is always set as textContent, never parsed as HTML), date
 * and SLA wording, the staff and customer names, the row actions (start,
 * complete, cancel with a confirmation, edit) used by the queue and a task's
 * page, the nav bar of the signed-in pages and the password rules. */
'use strict';

const Ops = (() => {
  const STATUS_LABEL = {OPEN: 'Open', IN_PROGRESS: 'In progress', OVERDUE: 'Overdue', COMPLETED: 'Completed',
                        CANCELLED: 'Cancelled'};
  const STATUSES = Object.keys(STATUS_LABEL);
  const PRIORITY_LABEL = {URGENT: 'Urgent', HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low'};
  const PRIORITIES = Object.keys(PRIORITY_LABEL);
  const ACTIVE = new Set(['OPEN', 'IN_PROGRESS', 'OVERDUE']);

  function cookie(name) {
    for (const part of document.cookie.split(';')) {
      const i = part.indexOf('=');
      if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
    }
    return '';
  }

  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      const e = (body && body.error) || {};
      super(e.message || (status ? `The server answered ${status}` : 'The server cannot be reached'));
      this.status = status;
      this.code = e.code || `http_${status}`;
      this.field = e.field || null;
      /* seconds, from a 429's or 503's Retry-After; null without one */
      this.retryAfter = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null;
    }
  }

  function signInAgain() {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
  }

  /* One API call. Resolves {data, etag}; rejects with ApiError. A 401 means
   * the session ended: back to /login, then here again. */
  async function api(method, path, body, headers) {
    const h = Object.assign({Accept: 'application/json'}, headers || {});
    if (method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = cookie('opstasks_csrf');
    /* a GET of an answer kept with its tag (the queue's) asks whether it
     * changed: an unchanged one comes back as a 304 without a body. Kept in
     * memory only: API answers are never stored (no-store). */
    const kept = method === 'GET' ? tagged.get(path) : undefined;
    if (kept) h['If-None-Match'] = kept.etag;
    const init = {method, headers: h, credentials: 'same-origin', cache: 'no-store'};
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, null);
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    /* a 401 on a form that signs in (/login, /invite/...) is that form's answer */
    if (res.status === 401 && path !== '/login' && !path.startsWith('/invite/')) {
      signInAgain();
      throw new ApiError(401, data);
    }
    if (res.status === 304 && kept) {
      tagged.delete(path);
      tagged.set(path, kept); /* the most recently used last */
      return {data: kept.data, etag: kept.etag};
    }
    const ra = res.headers.get('Retry-After');
    if (!res.ok) throw new ApiError(res.status, data, ra !== null && /^\d+$/.test(ra.trim()) ? Number(ra) : NaN);
    const etag = res.headers.get('ETag');
    if (method === 'GET' && etag && /^\/ops\/tasks(\?|\/stats)/.test(path)) {
      tagged.delete(path);
      tagged.set(path, {etag, data});
      if (tagged.size > 64) tagged.delete(tagged.keys().next().value);
    }
    return {data, etag};
  }
  /* GET path -> {etag, data}: the queue's answers, for If-None-Match */
  const tagged = new Map();

  /* el('td', {class: 'x', text: title}, child...): attributes are set as
   * attributes and text as textContent, so nothing a user typed becomes markup. */
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }

  /* ---- dates, in the server's calendar (today comes from /ops/me) ---- */
  function dayNumber(ymd) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd || '');
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) / 86400000 : NaN;
  }

  function plural(n, word) { return `${n} ${word}${n === 1 ? '' : 's'}`; }

  /* "due today", "due tomorrow", "in 3 d", "2 d overdue"; beyond 60 days
   * either way the date itself ("12 Mar 2031") */
  function dueText(task, today) {
    if (!ACTIVE.has(task.status)) return '';
    const d = dayNumber(task.due_date) - dayNumber(today);
    if (Number.isNaN(d)) return '';
    if (Math.abs(d) > 60) return formatDate(task.due_date);
    if (d < 0) return `${-d} d overdue`;
    if (d === 0) return 'due today';
    if (d === 1) return 'due tomorrow';
    return `in ${d} d`;
  }

  function formatDate(ymd) {
    const n = dayNumber(ymd);
    if (Number.isNaN(n)) return ymd || '';
    return new Date(n * 86400000).toLocaleDateString('en-GB', {day: 'numeric', month: 'short', year: 'numeric',
                                                               timeZone: 'UTC'});
  }

  function formatTime(ts) {
    if (!ts) return '';
    const d = new Date(ts);
    return Number.isNaN(d.getTime()) ? ts : d.toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'short'});
  }

  /* "2 d 3 h", "5 h 10 min", "12 min" (the sign of ms is ignored) */
  function duration(ms) {
    const min = Math.max(1, Math.round(Math.abs(ms) / 60000));  /* never "0 min" */
    if (min < 60) return `${min} min`;
    const h = Math.floor(min / 60);
    if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
    return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${Math.floor(h / 24)} d`;
  }

  function timeText(ts) {
    return new Date(ts).toLocaleDateString('en-GB', {day: 'numeric', month: 'short', year: 'numeric'});
  }

  /* {text, state}: state is none, ok, risk, breached, met or cancelled. Time
   * left "2 d 3 h left", late "5 d overdue"; far off, the deadline's date. */
  function slaInfo(task, now) {
    if (!task.sla_due_at) return {text: 'No SLA', state: 'none'};
    const due = Date.parse(task.sla_due_at);
    if (task.status === 'CANCELLED') {
      const before = Date.parse(task.cancelled_at) <= due;
      return {text: before ? 'Cancelled before its deadline' : 'Cancelled after its deadline', state: 'cancelled'};
    }
    if (task.status === 'COMPLETED')
      return task.sla_breached ? {text: 'SLA breached', state: 'breached'} : {text: 'SLA met', state: 'met'};
    const left = due - (now || Date.now());
    const d = Math.abs(left) > 60 * 86400000 ? null : duration(left);
    if (left <= 0 || task.sla_breached === true)
      return {text: d ? `${d} overdue` : `SLA breached ${timeText(due)}`, state: 'breached'};
    const text = d ? `${d} left` : `SLA due ${timeText(due)}`;
    if (task.sla_at_risk === true) return {text: `${text} (at risk)`, state: 'risk'};
    return {text, state: 'ok'};
  }

  /* ---- people: staff (all, for the pickers) and customers (as needed) ---- */
  const staff = new Map();
  const customers = new Map();
  let staffLoaded = null;

  function loadStaff() {
    if (!staffLoaded) {
      staffLoaded = (async () => {
        let cursor = null;
        for (let page = 0; page < 10; page++) {  /* at most 5,000 staff */
          const q = '/ops/staff?limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
          const {data} = await api('GET', q);
          for (const s of data.data) staff.set(s.id, s);
          cursor = data.next_cursor;
          if (!cursor) break;
        }
        return staff;
      })().catch((e) => { staffLoaded = null; throw e; });
    }
    return staffLoaded;
  }

  function staffName(id) {
    if (!id) return '';
    const s = staff.get(id);
    return s ? s.name : id;
  }

  /* Fetches the names of customers not yet known, four at a time. */
  async function loadCustomers(ids) {
    const todo = [...new Set(ids.filter((id) => id && !customers.has(id)))].slice(0, 200);
    for (const id of todo) customers.set(id, null);
    /* a hundred names a request (GET /ops/customers?ids=) */
    const batches = [];
    for (let i = 0; i < todo.length; i += 100) batches.push(todo.slice(i, i + 100));
    await Promise.all(batches.map(async (b) => {
      try {
        const {data} = await api('GET', '/ops/customers?ids=' + b.map(encodeURIComponent).join(','));
        for (const cu of data.data) customers.set(cu.id, cu.name);
      } catch (e) { /* names stay ids; the next load asks again */ }
      for (const id of b) if (customers.get(id) === null) customers.delete(id);
    }));
  }

  /* Every staff member known, by name (inactive ones too: they may still
   * hold tasks). */
  function staffList() { return [...staff.values()].sort((a, b) => a.name.localeCompare(b.name)); }

  function customerName(id) { return (id && customers.get(id)) || id || ''; }

  function staffOptions(select, selected, withAnyone) {
    select.replaceChildren();
    if (withAnyone) select.append(el('option', {value: ''}, 'Anyone'), el('option', {value: 'me'}, 'Me'),
                                  el('option', {value: 'none'}, 'Unassigned'));
    else select.append(el('option', {value: ''}, 'Unassigned'));
    const list = [...staff.values()].filter((s) => s.active || s.id === selected)
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const s of list) select.append(el('option', {value: s.id}, s.name));
    if (selected && ![...select.options].some((o) => o.value === selected))
      select.append(el('option', {value: selected}, selected));
    select.value = selected || '';
  }

  /* ---- messages ---- */
  function announce(text) {
    let live = document.getElementById('announcer');
    if (!live) {
      live = el('div', {id: 'announcer', class: 'sr-only', 'aria-live': 'polite', role: 'status'});
      document.body.append(live);
    }
    live.textContent = '';
    setTimeout(() => { live.textContent = text; }, 50);
  }

  function toast(text, isError) {
    let box = document.getElementById('toast');
    if (!box) {
      box = el('div', {id: 'toast', class: 'toast', role: isError ? 'alert' : 'status'});
      document.body.append(box);
    }
    box.setAttribute('role', isError ? 'alert' : 'status');
    box.className = 'toast' + (isError ? ' toast-error' : '');
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, isError ? 8000 : 4000);
  }

  /* PATCH a task, guarded by its version so nobody's change is lost. */
  async function patchTask(task, body) {
    const {data} = await api('PATCH', '/ops/tasks/' + encodeURIComponent(task.id), body,
                             {'If-Match': `"${task.version}"`});
    return data;
  }

  function errorText(e) {
    if (e.code === 'version_conflict') return 'Someone else changed this task meanwhile; it has been reloaded.';
    return e.message;
  }

  /* A field with its label and a place for the API's error about it. */
  function field(id, label, control, hint) {
    control.id = id;
    const err = el('p', {class: 'field-error', id: id + '-error', hidden: true});
    control.setAttribute('aria-describedby', err.id);
    return el('div', {class: 'field', 'data-field': control.name},
      el('label', {for: id}, label), hint ? el('span', {class: 'hint'}, hint) : null, control, err);
  }

  function clearErrors(form) {
    for (const p of form.querySelectorAll('.field-error')) { p.hidden = true; p.textContent = ''; }
    for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    const top = form.querySelector('.form-error');
    if (top) { top.hidden = true; top.textContent = ''; }
  }

  /* A field's error goes away once its control is changed. */
  function clearOnInput(form) {
    form.addEventListener('input', (ev) => {
      const c = ev.target;
      if (!c.id || c.getAttribute('aria-invalid') !== 'true') return;
      c.removeAttribute('aria-invalid');
      const p = document.getElementById(c.id + '-error');
      if (p) { p.hidden = true; p.textContent = ''; }
    });
  }

  /* Shows an API error next to the field it names (else at the top). */
  function showError(form, e) {
    const control = e.field && form.querySelector(`[name="${CSS.escape(e.field)}"]`);
    if (control) {
      const p = document.getElementById(control.id + '-error');
      p.textContent = e.message;
      p.hidden = false;
      control.setAttribute('aria-invalid', 'true');
      control.focus();
      return;
    }
    const top = form.querySelector('.form-error');
    top.textContent = errorText(e);
    top.hidden = false;
  }

  /* The inline editor: assignee, priority, due date. onSaved(newTask). */
  function editor(task, idPrefix, onSaved, onClose) {
    const assignee = el('select', {name: 'assignee_id'});
    staffOptions(assignee, task.assignee_id, false);
    const prio = el('select', {name: 'priority'});
    for (const p of PRIORITIES) prio.append(el('option', {value: p}, PRIORITY_LABEL[p]));
    prio.value = task.priority;
    const due = el('input', {name: 'due_date', type: 'date', value: task.due_date});
    const form = el('form', {class: 'editor', novalidate: true, 'aria-label': `Edit ${task.title}`},
      el('p', {class: 'form-error', role: 'alert', hidden: true}),
      el('div', {class: 'editor-fields'},
        field(idPrefix + '-assignee', 'Assignee', assignee),
        field(idPrefix + '-priority', 'Priority', prio),
        field(idPrefix + '-due', 'Due date', due)),
      el('div', {class: 'editor-actions'},
        el('button', {type: 'submit', class: 'btn btn-primary btn-small'}, 'Save'),
        el('button', {type: 'button', class: 'btn btn-small btn-quiet', 'data-close': '1'}, 'Close')));
    form.querySelector('[data-close]').addEventListener('click', onClose);
    form.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') onClose(); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const body = {};
      if ((assignee.value || null) !== (task.assignee_id || null)) body.assignee_id = assignee.value || null;
      if (prio.value !== task.priority) body.priority = prio.value;
      if (due.value !== task.due_date) body.due_date = due.value;
      if (!Object.keys(body).length) { onClose(); return; }
      const btn = form.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        onSaved(await patchTask(task, body));
      } catch (e) {
        showError(form, e);
      } finally {
        btn.disabled = false;
      }
    });
    return form;
  }

  /* ---- the signed-in pages' nav bar ---- */

  /* The signed-in person's name from GET /ops/me: the staff member's, else
   * the token's (an admin token tied to nobody). */
  function meName(me) {
    if (!me) return '';
    return me.name || (me.staff_id ? staffName(me.staff_id) : '') || (me.token && me.token.name) || 'you';
  }

  function isAdmin(me) { return !!me && (me.role || (me.token && me.token.role)) === 'admin'; }

  /* Fills the header of a signed-in page: the person's name, and the Staff
   * and Audit links for admins (they are in the page's HTML, hidden). */
  function showNav(me) {
    const who = document.getElementById('whoami');
    if (who && me) who.textContent = `Signed in as ${meName(me)}`;
    for (const a of document.querySelectorAll('.nav [data-admin]')) a.hidden = !isAdmin(me);
  }

  /* GET /ops/me and the nav bar, for the pages that need nothing else first. */
  async function signedIn() {
    const {data} = await api('GET', '/ops/me');
    showNav(data);
    return data;
  }

  /* Every row of a listing, following next_cursor (at most pages pages). */
  async function listAll(path, pages) {
    const out = [];
    let cursor = null;
    for (let page = 0; page < (pages || 10); page++) {
      const sep = path.includes('?') ? '&' : '?';
      const {data} = await api('GET', path + (cursor ? sep + 'cursor=' + encodeURIComponent(cursor) : ''));
      out.push(...data.data);
      cursor = data.next_cursor;
      if (!cursor) break;
    }
    return out;
  }

  /* Who did something in a task's history: the name the server gives, else
   * a staff member's name; a token tied to nobody is never shown by its id. */
  function actorName(h) {
    if (h.actor_name) return h.actor && h.actor.startsWith('token:') ? `${h.actor_name} (API token)` : h.actor_name;
    if (!h.actor || h.actor === 'system') return 'system';
    if (h.actor.startsWith('token:')) return 'an API token';
    return staffName(h.actor);
  }

  /* ---- passwords ---- */
  const PASSWORD_MIN = 10, PASSWORD_MAX = 200;

  /* What is wrong with a new password by the rules the page can check
   * (the server checks them again, and a list of well-known ones), or ''. */
  function passwordProblem(pw, email) {
    const n = [...pw].length;
    if (n < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters (this one has ${n})`;
    if (n > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters`;
    if (email && pw.toLowerCase() === email.trim().toLowerCase()) return 'Your password must not be your email address';
    if (new Set([...pw]).size === 1) return 'One character repeated is too easy to guess';
    return '';
  }

  /* "try again in 14 minutes" from a 429's Retry-After (seconds) */
  function retryText(e) {
    if (e.retryAfter === null || e.retryAfter === undefined) return 'try again later';
    const min = Math.max(1, Math.ceil(e.retryAfter / 60));
    return `try again in ${plural(min, 'minute')}`;
  }

  /* "Chrome 131 on Linux" from a User-Agent header (the whole is kept in a tooltip) */
  function userAgentText(ua) {
    if (!ua) return 'Unknown browser';
    const ver = (re) => { const m = re.exec(ua); return m ? m[1] : ''; };
    let browser = '';
    if (/Edg\//.test(ua)) browser = 'Edge ' + ver(/Edg\/(\d+)/);
    else if (/OPR\//.test(ua)) browser = 'Opera ' + ver(/OPR\/(\d+)/);
    else if (/Firefox\//.test(ua)) browser = 'Firefox ' + ver(/Firefox\/(\d+)/);
    else if (/Chrom(e|ium)\//.test(ua)) browser = (/HeadlessChrome/.test(ua) ? 'Headless Chrome ' : 'Chrome ') +
      ver(/Chrom(?:e|ium)\/(\d+)/);
    else if (/Safari\//.test(ua) && /Version\//.test(ua)) browser = 'Safari ' + ver(/Version\/(\d+)/);
    else if (/^curl\//.test(ua)) browser = 'curl';
    let os = '';
    if (/Android/.test(ua)) os = 'Android';
    else if (/iPhone|iPad|iPod/.test(ua)) os = 'iOS';
    else if (/Windows/.test(ua)) os = 'Windows';
    else if (/Mac OS X|Macintosh/.test(ua)) os = 'macOS';
    else if (/CrOS/.test(ua)) os = 'ChromeOS';
    else if (/Linux/.test(ua)) os = 'Linux';
    if (!browser) return ua.length > 40 ? ua.slice(0, 40) + '…' : ua;
    return os ? `${browser.trim()} on ${os}` : browser.trim();
  }

  /* ---- a confirmation dialog: resolves true for yes; Escape says no ---- */
  function confirmAction({title, text, yes, danger}) {
    let dlg = document.getElementById('confirm-action');
    if (!dlg) {
      dlg = el('dialog', {id: 'confirm-action', class: 'dialog', 'aria-labelledby': 'ca-title',
                          'aria-describedby': 'ca-text'},
        el('h2', {id: 'ca-title'}),
        el('p', {id: 'ca-text'}),
        el('div', {class: 'dialog-actions'},
          el('button', {type: 'button', class: 'btn', id: 'ca-no'}, 'Keep it as it is'),
          el('button', {type: 'button', class: 'btn', id: 'ca-yes'})));
      document.body.append(dlg);
    }
    dlg.querySelector('#ca-title').textContent = title;
    dlg.querySelector('#ca-text').textContent = text;
    const yesBtn = dlg.querySelector('#ca-yes');
    yesBtn.textContent = yes;
    yesBtn.className = 'btn ' + (danger ? 'btn-danger' : 'btn-primary');
    return new Promise((resolve) => {
      const finish = (ok) => {
        dlg.removeEventListener('close', onClose);
        if (dlg.open) dlg.close();
        resolve(ok);
      };
      const onClose = () => finish(false);
      yesBtn.onclick = () => finish(true);
      dlg.querySelector('#ca-no').onclick = () => finish(false);
      dlg.addEventListener('close', onClose);
      dlg.showModal();
      dlg.querySelector('#ca-no').focus();
    });
  }

  function wireLogout(button) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try { await api('POST', '/logout'); } catch (e) { /* signed out either way */ }
      location.assign('/login');
    });
  }

  return {STATUS_LABEL, STATUSES, PRIORITY_LABEL, PRIORITIES, ACTIVE, api, ApiError, el, dayNumber, dueText,
          formatDate, formatTime, slaInfo, duration, loadStaff, staffName, loadCustomers, customerName, staffOptions, staffList,
          announce, toast, patchTask, editor, field, clearErrors, showError,
          errorText, wireLogout, cookie, clearOnInput, meName, isAdmin, showNav, signedIn, listAll, actorName,
          passwordProblem, retryText, userAgentText, confirmAction, plural};
})();

/* ---- queue: a toast that holds an action (Undo) or a link, and undo ---- */
/* Ops.notice(text, {label, run} | {href, linkText}, ms): a toast with a button
 * (run() is called once, then the toast goes) or a link, shown ms (10 s). */
Ops.notice = (text, act, ms) => {
  let box = document.getElementById('notice');
  if (!box) {
    box = Ops.el('div', {id: 'notice', class: 'toast notice', role: 'status'});
    document.body.append(box);
  }
  const a = act || {};
  const ctl = a.href ? Ops.el('a', {href: a.href}, a.linkText || 'Open')
    : a.run ? Ops.el('button', {type: 'button', class: 'btn btn-small'}, a.label || 'Undo') : null;
  if (a.run) ctl.addEventListener('click', () => { box.hidden = true; a.run(); });
  box.replaceChildren(Ops.el('span', {}, text), ctl ? ' ' : null, ctl);
  box.hidden = false;
  clearTimeout(Ops.notice.timer);
  Ops.notice.timer = setTimeout(() => { box.hidden = true; }, ms || 10000);
  return box;
};

/* After a task was completed or cancelled (t: as it is now, before: as it
 * was): a toast with "Undo" for 10 s that reopens it into its old work
 * status; done(reopened task | null, error) follows the undo. */
Ops.undoToast = (t, before, done) => {
  const verb = t.status === 'CANCELLED' ? 'cancelled' : 'completed';
  Ops.notice(`“${t.title}” ${verb}`, {label: 'Undo', run: async () => {
    try {
      const back = await Ops.patchTask(t, {status: before.work_status === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'OPEN'});
      Ops.toast(`“${back.title}” reopened`);
      done && done(back);
    } catch (e) {
      Ops.toast(Ops.errorText(e), true);
      done && done(null, e);
    }
  }});
};

/* ---- notify ---- */
/* The bell in every signed-in page's header: the count of unread
 * notifications (GET /ops/me/notifications), a list on click whose items
 * open their task (and are marked read), and "Mark all read". The count
 * follows the live feed's ops:changes (live.js, on the pages that load it),
 * a 30 s timer and the tab coming back into view. Sessions without a staff
 * member (403) and signed-out pages get no bell. */
Ops.bell = (() => {
  const REFRESH_MS = 30000, CHANGES_WAIT_MS = 400, LIST_MAX = 20;
  const TYPE_TEXT = {assigned: 'Assigned to you', mentioned: 'You were mentioned', sla_at_risk: 'SLA at risk'};
  let box = null, button = null, count = null, panel = null, list = null, allBtn = null;
  let unread = 0, timer = 0, changesTimer = 0, asking = false;

  function bellIcon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'bell-icon');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', 'M12 2a6 6 0 0 0-6 6v3.6L4.3 15a1 1 0 0 0 .9 1.5h13.6a1 1 0 0 0 .9-1.5L18 11.6V8a6 6 0 0 0-6-6zm-2.5 16a2.5 2.5 0 0 0 5 0z');
    svg.append(path);
    return svg;
  }

  function show(n) {
    unread = n;
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    button.setAttribute('aria-label', n ? `Notifications, ${n} unread` : 'Notifications, none unread');
    button.classList.toggle('has-unread', n > 0);
    allBtn.disabled = n === 0;
  }

  function itemOf(n) {
    const when = n.created_at ? Ops.formatTime(n.created_at) : '';
    const a = Ops.el('a', {href: `/tasks/${encodeURIComponent(n.task_id)}`, class: 'bell-link'},
      Ops.el('span', {class: 'bell-kind', text: TYPE_TEXT[n.type] || n.type}),
      Ops.el('span', {class: 'bell-title', text: n.task_title || n.task_id}),
      Ops.el('time', {class: 'bell-when', datetime: n.created_at || '', text: when}));
    a.addEventListener('click', () => {
      if (n.read_at) return;
      /* keepalive: the page may be gone before the answer */
      fetch('/ops/me/notifications/read', {method: 'POST', keepalive: true, credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': Ops.cookie('opstasks_csrf')},
        body: JSON.stringify({ids: [n.id]})}).catch(() => {});
    });
    return Ops.el('li', {class: n.read_at ? 'bell-item' : 'bell-item is-unread'}, a);
  }

  async function refresh(withList) {
    if (asking) return;
    asking = true;
    try {
      const {data} = await Ops.api('GET', `/ops/me/notifications?limit=${withList ? LIST_MAX : 1}`);
      show(data.unread);
      if (withList) {
        list.replaceChildren(...data.data.map(itemOf));
        if (!data.data.length) list.append(Ops.el('li', {class: 'bell-empty', text: 'Nothing yet: assignments, mentions and SLA warnings show here.'}));
      }
    } catch (e) {
      if (e.status === 403 || e.status === 401) stop(); /* no staff member behind this session */
    } finally {
      asking = false;
    }
  }

  function stop() {
    clearInterval(timer);
    if (box) box.hidden = true;
  }

  function open(yes) {
    panel.hidden = !yes;
    button.setAttribute('aria-expanded', yes ? 'true' : 'false');
    if (yes) {
      list.replaceChildren(Ops.el('li', {class: 'bell-empty', text: 'Loading…'}));
      refresh(true);
    }
  }

  async function markAll() {
    try {
      const {data} = await Ops.api('POST', '/ops/me/notifications/read', {});
      show(data.unread);
      for (const li of list.querySelectorAll('.is-unread')) li.classList.remove('is-unread');
      Ops.announce && Ops.announce('All notifications marked read');
    } catch (e) {
      Ops.toast(Ops.errorText(e), true);
    }
  }

  function build(header) {
    count = Ops.el('span', {class: 'bell-count', 'aria-hidden': 'true', hidden: true});
    button = Ops.el('button', {type: 'button', id: 'bell', class: 'bell', 'aria-expanded': 'false', 'aria-controls': 'bell-panel', 'aria-label': 'Notifications'}, bellIcon(), count);
    allBtn = Ops.el('button', {type: 'button', id: 'bell-all', class: 'btn btn-small', disabled: true}, 'Mark all read');
    list = Ops.el('ul', {class: 'bell-list', id: 'bell-list'});
    panel = Ops.el('div', {id: 'bell-panel', class: 'bell-panel', role: 'region', 'aria-labelledby': 'bell-h', hidden: true},
      Ops.el('div', {class: 'bell-head'}, Ops.el('h2', {id: 'bell-h', text: 'Notifications'}), allBtn), list);
    box = Ops.el('div', {class: 'bell-box'}, button, panel);
    const logout = header.querySelector('#logout');
    header.insertBefore(box, logout || null);
    button.addEventListener('click', () => open(panel.hidden));
    allBtn.addEventListener('click', markAll);
    box.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !panel.hidden) { open(false); button.focus(); }
    });
    document.addEventListener('click', (ev) => { if (!panel.hidden && !box.contains(ev.target)) open(false); });
  }

  function start() {
    const header = document.querySelector('header.top');
    if (!header || !header.querySelector('#logout') || box) return;
    build(header);
    refresh(false);
    timer = setInterval(() => refresh(!panel.hidden), REFRESH_MS);
    document.addEventListener('ops:changes', () => {
      clearTimeout(changesTimer);
      changesTimer = setTimeout(() => refresh(!panel.hidden), CHANGES_WAIT_MS);
    });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(!panel.hidden); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
  return {refresh: () => refresh(panel && !panel.hidden), get unread() { return unread; }};
})();
