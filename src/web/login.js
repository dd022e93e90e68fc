/* login.js: /login. Posts the pasted token to POST /login, which answers
 * with the session cookies, then goes back to the page that sent us here
 * (?next=, only ever a path on this server). */
'use strict';

(() => {
  const form = document.getElementById('login');
  const input = document.getElementById('token');

  function nextPath() {
    const next = new URLSearchParams(location.search).get('next') || '';
    /* a local path only: not //host, not /\host, no scheme */
    if (!/^\/(?![/\\])/.test(next) || /[\u0000-\u001f\u007f]/.test(next)) return '/tasks';
    return next;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    Ops.clearErrors(form);
    const token = input.value.trim();
    if (!token) {
      Ops.showError(form, {field: 'token', message: 'Paste your API token'});
      return;
    }
    const btn = form.querySelector('[type=submit]');
    btn.disabled = true;
    try {
      await Ops.api('POST', '/login', {token});
      location.assign(nextPath());
    } catch (e) {
      Ops.showError(form, e.field ? e : {field: 'token', message: e.message});
      btn.disabled = false;
    }
  });
})();
