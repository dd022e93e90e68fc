/* account.js: /account, one's own account: the sessions one is signed in
 * with (GET /ops/me/sessions; "End" is DELETE /ops/me/sessions/{id}) and
 * changing one's password (POST /ops/me/password, which ends the other
 * sessions). */
'use strict';

(() => {
  const {el, api} = Ops;
  const $ = (id) => document.getElementById(id);
  let me = null;

  function showError(e) {
    $('error').textContent = e ? e.message : '';
    $('error').hidden = !e;
  }

  function sessionRow(s) {
    const end = el('button', {type: 'button', class: 'btn btn-small' + (s.current ? ' btn-quiet' : ''),
                              'aria-label': s.current ? 'End this session (signs you out)' :
                                `End the session of ${Ops.userAgentText(s.user_agent)}, signed in ${Ops.formatTime(s.created_at)}`},
                   s.current ? 'End (sign out)' : 'End');
    end.addEventListener('click', () => endSession(s, end));
    return el('tr', {class: 'task' + (s.current ? ' is-current' : ''), 'data-id': s.id},
      el('td', {'data-label': 'Browser'},
        el('span', {title: s.user_agent || null}, Ops.userAgentText(s.user_agent)),
        s.current ? el('span', {class: 'badge badge-current'}, 'This browser') : null),
      el('td', {'data-label': 'Address'}, s.client || '—'),
      el('td', {'data-label': 'Signed in'}, el('time', {datetime: s.created_at}, Ops.formatTime(s.created_at))),
      el('td', {'data-label': 'Last active'}, el('time', {datetime: s.last_seen_at}, Ops.formatTime(s.last_seen_at))),
      el('td', {class: 'c-actions', 'data-label': 'Actions'}, end));
  }

  async function loadSessions() {
    try {
      const list = await Ops.listAll('/ops/me/sessions', 5);
      $('session-rows').replaceChildren(...list.map(sessionRow));
      $('sessions').hidden = !list.length;
      $('sessions-empty').hidden = list.length > 0;
      showError(null);
    } catch (e) {
      showError(e);
    }
  }

  async function endSession(s, btn) {
    if (s.current && !(await Ops.confirmAction({title: 'End this session?', text: 'You will be signed out of this browser.',
                                                  yes: 'Sign me out', danger: true}))) {
      btn.focus();
      return;
    }
    btn.disabled = true;
    try {
      await api('DELETE', '/ops/me/sessions/' + encodeURIComponent(s.id));
      if (s.current) {
        location.assign('/login');
        return;
      }
      Ops.toast('Session ended');
      Ops.announce('Session ended');
      await loadSessions();
      $('sessions-h').focus();
    } catch (e) {
      btn.disabled = false;
      Ops.toast(e.status === 404 ? 'That session had already ended' : e.message, e.status !== 404);
      if (e.status === 404) loadSessions();
    }
  }

  function wirePassword() {
    const form = $('password-form');
    Ops.clearOnInput(form);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      Ops.clearErrors(form);
      const current = $('current_password').value;
      const next = $('new_password').value;
      if (!current) return Ops.showError(form, {field: 'current_password', message: 'Enter your current password'});
      const problem = Ops.passwordProblem(next, me && me.email);
      if (problem) return Ops.showError(form, {field: 'new_password', message: problem});
      if ($('again').value !== next)
        return Ops.showError(form, {field: 'again', message: 'The two new passwords are not the same'});
      const btn = form.querySelector('[type=submit]');
      btn.disabled = true;
      try {
        await api('POST', '/ops/me/password', {current_password: current, new_password: next});
        form.reset();
        Ops.toast('Password changed; your other sessions were ended');
        Ops.announce('Password changed');
        loadSessions();
      } catch (e) {
        if (e.status === 429) Ops.showError(form, {field: 'current_password', message: `Too many attempts; ${Ops.retryText(e)}.`});
        else Ops.showError(form, e);
      } finally {
        btn.disabled = false;
      }
    });
  }

  async function start() {
    Ops.wireLogout($('logout'));
    $('sessions-h').setAttribute('tabindex', '-1');
    try {
      me = await Ops.signedIn();
    } catch (e) {
      showError(e);
      return;
    }
    const line = [Ops.meName(me)];
    if (me.role) line.push(me.role === 'admin' ? 'Admin' : 'Agent');
    if (me.staff_id) line.push(me.staff_id);
    $('me-line').textContent = line.join(' · ');
    /* a token tied to nobody has no password */
    if (!me.staff_id) {
      $('password-form').hidden = true;
      $('no-password').hidden = false;
    } else {
      /* the email, for the "not your email" rule (the server checks it too) */
      api('GET', '/ops/staff/' + encodeURIComponent(me.staff_id)).then(({data}) => { me.email = data.email; })
        .catch(() => {});
      wirePassword();
    }
    await loadSessions();
  }

  start();
})();

/* ---- notify: the email switches (GET/PUT /ops/me/notification-settings),
 * each saved as it is ticked; hidden for a session with no staff member ---- */
(() => {
  const box = document.getElementById('notify-box');
  if (!box) return;
  const status = document.getElementById('notify-status');
  const inputs = [...box.querySelectorAll('input[type=checkbox]')];
  function show(s) { for (const i of inputs) i.checked = !!s[i.name]; }
  Ops.api('GET', '/ops/me/notification-settings').then(({data}) => {
    show(data);
    box.hidden = false;
  }).catch(() => {}); /* 403: a token tied to nobody has no notifications */
  for (const input of inputs) {
    input.addEventListener('change', async () => {
      input.disabled = true;
      try {
        const {data} = await Ops.api('PUT', '/ops/me/notification-settings', {[input.name]: input.checked});
        show(data);
        status.textContent = 'Saved.';
      } catch (e) {
        input.checked = !input.checked;
        status.textContent = Ops.errorText(e);
      } finally {
        input.disabled = false;
      }
    });
  }
})();
