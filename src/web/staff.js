/* staff.js: /staff, for admins: every staff member (GET /ops/staff) with
 * role, status, last sign-in and password state; invite or re-invite (POST
 * /ops/staff/{id}/invite, whose link is shown to copy), edit name and email,
 * change role, deactivate or activate (each a PUT /ops/staff/{id} with the
 * whole record), and add a member (PUT of a new id). */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  const ID_RE = /^sta_[A-Za-z0-9_-]{1,64}$/;
  let me = null;
  let list = [];

  function showError(e) {
    $('error').textContent = e ? e.message : '';
    $('error').hidden = !e;
  }

  function badge(cls, text) { return el('span', {class: 'badge ' + cls}, text); }

  function passwordCell(s) {
    const expired = s.invite_expires_at && Date.parse(s.invite_expires_at) <= Date.now();
    const invite = s.invite_expires_at && !expired ?
      el('span', {class: 'invite-pending'}, 'Invite pending until ',
        el('time', {datetime: s.invite_expires_at}, Ops.formatTime(s.invite_expires_at))) : null;
    if (s.has_password) return el('span', {}, 'Set', invite ? el('br') : null, invite);
    if (invite) return invite;
    return el('span', {class: 'muted'}, expired ? 'Invite expired' : 'Not invited yet');
  }

  function row(s) {
    const self = me && me.staff_id === s.id;
    const actions = el('div', {class: 'actions'});
    if (s.active) {
      const again = s.has_password || s.invite_expires_at;
      const inv = el('button', {type: 'button', class: 'btn btn-small', 'data-action': 'invite',
                                'aria-label': `${again ? 'Re-invite' : 'Invite'} ${s.name}`,
                                disabled: !s.email, title: s.email ? null : 'Add an email address (Edit) to invite them'},
                     again ? 'Re-invite' : 'Invite');
      inv.addEventListener('click', () => invite(s, inv));
      actions.append(inv);
    }
    const edit = el('button', {type: 'button', class: 'btn btn-small btn-quiet', 'data-action': 'edit',
                               'aria-expanded': 'false', 'aria-label': `Edit name or email: ${s.name}`}, 'Edit');
    edit.addEventListener('click', () => toggleEditor(s, edit));
    actions.append(edit);
    if (!self) {
      const toAdmin = s.role !== 'admin';
      const role = el('button', {type: 'button', class: 'btn btn-small btn-quiet', 'data-action': 'role',
                                 'aria-label': `${toAdmin ? 'Make admin' : 'Make agent'}: ${s.name}`},
                      toAdmin ? 'Make admin' : 'Make agent');
      role.addEventListener('click', () => changeRole(s, role));
      const act = el('button', {type: 'button', class: 'btn btn-small ' + (s.active ? 'btn-quiet btn-warn' : 'btn-ok'),
                                'data-action': 'active', 'aria-label': `${s.active ? 'Deactivate' : 'Activate'} ${s.name}`},
                     s.active ? 'Deactivate' : 'Activate');
      act.addEventListener('click', () => changeActive(s, act));
      actions.append(role, act);
    }
    return el('tr', {class: 'task' + (s.active ? '' : ' is-inactive'), 'data-id': s.id},
      el('td', {class: 'c-title', 'data-label': 'Name'},
        el('span', {class: 'staff-name'}, s.name),
        el('span', {class: 'sub muted'}, s.id, self ? el('span', {class: 'tag'}, 'you') : null)),
      el('td', {'data-label': 'Email'}, s.email || el('span', {class: 'muted'}, 'none')),
      el('td', {class: 'c-role', 'data-label': 'Role'},
        badge(s.role === 'admin' ? 'role-admin' : 'role-agent', s.role === 'admin' ? 'Admin' : 'Agent')),
      el('td', {class: 'c-active', 'data-label': 'Status'},
        s.active ? badge('status-completed', 'Active') : badge('status-inactive', 'Inactive')),
      el('td', {class: 'c-login', 'data-label': 'Last sign-in'}, s.last_login_at ?
        el('time', {datetime: s.last_login_at}, Ops.formatTime(s.last_login_at)) : el('span', {class: 'muted'}, 'Never')),
      el('td', {class: 'c-password', 'data-label': 'Password'}, passwordCell(s)),
      el('td', {class: 'c-actions', 'data-label': 'Actions'}, actions));
  }

  function render() {
    const sorted = [...list].sort((a, b) => (b.active - a.active) || a.name.localeCompare(b.name));
    $('staff-rows').replaceChildren(...sorted.map(row));
    $('staff').hidden = !sorted.length;
    $('empty').hidden = sorted.length > 0;
  }

  /* redraws one member's row in place, keeping focus on the same button */
  function replace(s, focusAction) {
    const i = list.findIndex((x) => x.id === s.id);
    if (i >= 0) list[i] = s; else list.push(s);
    const old = document.querySelector(`#staff-rows tr[data-id="${CSS.escape(s.id)}"]`);
    if (!old) { render(); return; }
    const nr = row(s);
    old.replaceWith(nr);
    const b = focusAction && nr.querySelector(`[data-action="${focusAction}"]`);
    if (b) b.focus();
  }

  async function load() {
    try {
      list = await Ops.listAll('/ops/staff?limit=500');
      render();
      showError(null);
    } catch (e) {
      showError(e.status === 403 ? {message: 'Only admins can manage staff.'} : e);
    }
  }

  async function put(s, changes) {
    const body = {name: s.name, email: s.email || null, active: s.active, role: s.role, ...changes};
    const {data} = await api('PUT', '/ops/staff/' + encodeURIComponent(s.id), body);
    return data;
  }

  /* The inline editor of a member's name and email, in a row under theirs. */
  function toggleEditor(s, btn) {
    const open = document.querySelector(`#staff-rows tr.editor-row[data-for="${CSS.escape(s.id)}"]`);
    const close = () => {
      const r = document.querySelector(`#staff-rows tr.editor-row[data-for="${CSS.escape(s.id)}"]`);
      if (r) r.remove();
      btn.setAttribute('aria-expanded', 'false');
      btn.focus();
    };
    if (open) { close(); return; }
    const p = 'ed-' + s.id;
    const name = el('input', {name: 'name', type: 'text', value: s.name, autocomplete: 'off', required: true});
    const email = el('input', {name: 'email', type: 'email', value: s.email || '', autocomplete: 'off', spellcheck: 'false'});
    const form = el('form', {class: 'editor', novalidate: true, 'aria-label': `Edit ${s.name}`},
      el('p', {class: 'form-error', role: 'alert', hidden: true}),
      el('div', {class: 'editor-fields'}, Ops.field(p + '-name', 'Name', name), Ops.field(p + '-email', 'Email address', email)),
      el('div', {class: 'editor-actions'},
        el('button', {type: 'submit', class: 'btn btn-primary btn-small'}, 'Save'),
        el('button', {type: 'button', class: 'btn btn-small btn-quiet', 'data-close': '1'}, 'Close')));
    Ops.clearOnInput(form);
    form.querySelector('[data-close]').addEventListener('click', close);
    form.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      if (!name.value.trim()) return Ops.showError(form, {field: 'name', message: 'Enter a name'});
      const save = form.querySelector('[type=submit]');
      save.disabled = true;
      try {
        const cur = list.find((x) => x.id === s.id) || s;
        const ns = await put(cur, {name: name.value.trim(), email: email.value.trim() || null});
        close();
        replace(ns, 'edit');
        Ops.toast(`${ns.name} saved`);
      } catch (e) {
        Ops.showError(form, e);
        save.disabled = false;
      }
    });
    btn.closest('tr').after(el('tr', {class: 'editor-row', 'data-for': s.id}, el('td', {colspan: 7}, form)));
    btn.setAttribute('aria-expanded', 'true');
    name.focus();
  }

  async function invite(s, btn) {
    btn.disabled = true;
    try {
      const {data} = await api('POST', '/ops/staff/' + encodeURIComponent(s.id) + '/invite');
      const box = $('invite-box');
      $('invite-text').replaceChildren(`Invite link for ${s.name} (${s.email}), valid until `,
        el('time', {datetime: data.expires_at}, Ops.formatTime(data.expires_at)), '.');
      $('invite-url').value = data.invite_url;
      box.hidden = false;
      $('invite-url').focus();
      $('invite-url').select();
      Ops.announce(`Invite link for ${s.name} made`);
      replace(Object.assign({}, s, {invite_expires_at: data.expires_at}));
    } catch (e) {
      Ops.toast(e.message, true);
      btn.disabled = false;
    }
  }

  async function changeRole(s, btn) {
    const to = s.role === 'admin' ? 'agent' : 'admin';
    const ok = await Ops.confirmAction({
      title: to === 'admin' ? `Make ${s.name} an admin?` : `Make ${s.name} an agent?`,
      text: to === 'admin' ? 'Admins can manage staff, tokens, rules and settings, and read the audit log.' :
        'They will keep working the queue, but can no longer manage staff, tokens or settings.',
      yes: to === 'admin' ? 'Make admin' : 'Make agent'});
    if (!ok) { btn.focus(); return; }
    btn.disabled = true;
    try {
      replace(await put(s, {role: to}), 'role');
      Ops.toast(`${s.name} is now ${to === 'admin' ? 'an admin' : 'an agent'}`);
    } catch (e) {
      Ops.toast(e.message, true);
      btn.disabled = false;
    }
  }

  async function changeActive(s, btn) {
    if (s.active && !(await Ops.confirmAction({
      title: `Deactivate ${s.name}?`,
      text: 'They are signed out everywhere at once, and their API tokens stop working until they are activated again.',
      yes: 'Deactivate', danger: true}))) {
      btn.focus();
      return;
    }
    btn.disabled = true;
    try {
      const ns = await put(s, {active: !s.active});
      replace(ns, 'active');
      Ops.toast(ns.active ? `${s.name} is active again` : `${s.name} is deactivated`);
    } catch (e) {
      Ops.toast(e.message, true);
      btn.disabled = false;
    }
  }

  function wireAdd() {
    const form = $('add-form');
    Ops.clearOnInput(form);
    const toggle = $('add-toggle');
    const open = (yes) => {
      $('add-box').hidden = !yes;
      toggle.setAttribute('aria-expanded', String(yes));
      if (yes) $('add-id').focus(); else toggle.focus();
    };
    toggle.addEventListener('click', () => open($('add-box').hidden));
    $('add-cancel').addEventListener('click', () => open(false));
    $('add-box').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') open(false); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      const id = $('add-id').value.trim();
      const name = $('add-name').value.trim();
      const email = $('add-email').value.trim();
      if (!ID_RE.test(id))
        return Ops.showError(form, {field: 'id', message: 'An id is sta_ followed by letters, digits, _ or -'});
      if (list.some((s) => s.id === id)) return Ops.showError(form, {field: 'id', message: 'That id is taken'});
      if (!name) return Ops.showError(form, {field: 'name', message: 'Enter a name'});
      const btn = form.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        const {data} = await api('PUT', '/ops/staff/' + encodeURIComponent(id),
                                 {name, email: email || null, active: true, role: $('add-role').value});
        form.reset();
        open(false);
        list = list.filter((s) => s.id !== data.id).concat([data]);
        render();
        Ops.toast(`${data.name} added`);
        Ops.announce(`${data.name} added`);
      } catch (e) {
        Ops.showError(form, e);
      } finally {
        btn.disabled = false;
      }
    });
  }

  function wireInviteBox() {
    $('invite-copy').addEventListener('click', async () => {
      const input = $('invite-url');
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (e) {
        input.select();
        document.execCommand('copy');
      }
      Ops.toast('Link copied');
    });
    $('invite-close').addEventListener('click', () => { $('invite-box').hidden = true; $('invite-url').value = ''; });
  }

  async function start() {
    Ops.wireLogout($('logout'));
    try {
      me = await Ops.signedIn();
    } catch (e) {
      showError(e);
      return;
    }
    if (!Ops.isAdmin(me)) {
      showError({message: 'Only admins can manage staff.'});
      $('add-toggle').hidden = true;
      $('staff').hidden = true;
      return;
    }
    wireAdd();
    wireInviteBox();
    await load();
  }

  start();
})();
