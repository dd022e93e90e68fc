/* invite.js: /invite/{secret}, the page an invite link opens: the person
 * chooses a password (typed twice), POST /invite/{secret} {password} sets it
 * and answers with the session cookies, then on to the queue. The link
 * works once; a used, replaced or expired one answers 404. */
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('invite');
  const secret = decodeURIComponent(location.pathname.replace(/^\/invite\//, ''));

  function dead() {
    form.hidden = true;
    $('dead').hidden = false;
  }

  Ops.clearOnInput(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    Ops.clearErrors(form);
    const password = $('password').value;
    const problem = Ops.passwordProblem(password, '');
    if (problem) return Ops.showError(form, {field: 'password', message: problem});
    if ($('again').value !== password)
      return Ops.showError(form, {field: 'again', message: 'The two passwords are not the same'});
    const btn = form.querySelector('[type=submit]');
    btn.disabled = true;
    try {
      await Ops.api('POST', '/invite/' + encodeURIComponent(secret), {password});
      location.assign('/tasks');
    } catch (e) {
      btn.disabled = false;
      if (e.status === 404) return dead();
      if (e.status === 429) return Ops.showError(form, {message: `Too many attempts; ${Ops.retryText(e)}.`});
      if (e.status === 503) return Ops.showError(form, {message: 'The server is busy; try again in a moment.'});
      /* a 422 names the field "password" */
      return Ops.showError(form, e);
    }
  });
})();
