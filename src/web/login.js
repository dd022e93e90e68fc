/* login.js: /login. Email and password by default (POST /login {email,
 * password}); "Sign in with an API token" swaps in the token form (POST
 * /login {token}; /login#token opens it directly). Either answer sets the
 * session cookies; then back to the page that sent us here (?next=, only
 * ever a path on this server). */
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const pwForm = $('login-password');
  const tokenForm = $('login');
  const switcher = $('switch');

  function nextPath() {
    const next = new URLSearchParams(location.search).get('next') || '';
    /* a local path only: not //host, not /\host, no scheme */
    if (!/^\/(?![/\\])/.test(next) || /[\u0000-\u001f\u007f]/.test(next)) return '/tasks';
    return next;
  }

  function useToken(yes, focus) {
    tokenForm.hidden = !yes;
    pwForm.hidden = yes;
    $('intro-token').hidden = !yes;
    $('intro-password').hidden = yes;
    switcher.textContent = yes ? 'Sign in with email and password' : 'Sign in with an API token';
    switcher.setAttribute('aria-expanded', String(yes));
    if (focus) (yes ? $('token') : $('email')).focus();
  }

  /* The words for a refusal of a sign-in form. */
  function refusal(e) {
    if (e.status === 429) return {message: `Too many attempts; ${Ops.retryText(e)}.`};
    if (e.status === 503) return {message: 'The server is busy; try again in a moment.'};
    return e;
  }

  async function submit(form, body, fallbackField) {
    const btn = form.querySelector('[type=submit]');
    btn.disabled = true;
    try {
      await Ops.api('POST', '/login', body);
      location.assign(nextPath());
    } catch (e) {
      const r = refusal(e);
      /* a 401 names no field: it is about the pair (or the token) */
      if (r === e && !e.field && fallbackField) Ops.showError(form, {field: fallbackField, message: e.message});
      else Ops.showError(form, r);
      btn.disabled = false;
    }
  }

  pwForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    Ops.clearErrors(pwForm);
    const email = $('email').value.trim();
    const password = $('password').value;
    if (!email) return Ops.showError(pwForm, {field: 'email', message: 'Enter your email address'});
    if (!password) return Ops.showError(pwForm, {field: 'password', message: 'Enter your password'});
    return submit(pwForm, {email, password}, null);
  });

  tokenForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    Ops.clearErrors(tokenForm);
    const token = $('token').value.trim();
    if (!token) return Ops.showError(tokenForm, {field: 'token', message: 'Paste your API token'});
    return submit(tokenForm, {token}, 'token');
  });

  Ops.clearOnInput(pwForm);
  Ops.clearOnInput(tokenForm);
  switcher.addEventListener('click', () => useToken(tokenForm.hidden, true));
  if (location.hash === '#token') useToken(true, true);
})();
