// accounts.test.mjs: the staff-account pages in a real browser (Debian's
// Chromium via playwright-core) against the real binary: an invite link sets
// a password, sign-in by email and password (wrong password, 429 with its
// wait), the nav bar (name; Staff and Audit only for admins), history names
// people, the account page (sessions, ending one, changing the password), the
// staff page (invite link, role, deactivate, add) and the audit page (rows,
// type filter, older, CSV); screenshots at 1280x800 and 390 px wide.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Server, launch, signedInWithPassword, watched, shotPath} from './harness.mjs';

const ADA = {id: 'sta_ada', name: 'Ada Admin', email: 'ada@example.test', password: 'Lantern-orchard-81'};
const CARL = {id: 'sta_carl', name: 'Carl Agent', email: 'carl@example.test', password: 'Copper-meadow-27'};
const DORA = {id: 'sta_dora', name: 'Dora Door', email: 'dora@example.test', password: 'Violet-harbour-63'};

let server, browser;

async function noProblems(page) {
  assert.deepEqual(page.problems, [], 'no script errors, CSP refusals or dialogs');
}

/* every visible control has a label (its own, aria-label or text) */
async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((n) => n.offsetParent !== null)
    .filter((n) => !(n.labels && n.labels.length) && !n.getAttribute('aria-label') && !n.textContent.trim())
    .map((n) => n.outerHTML));
  assert.deepEqual(unlabelled, []);
}

const navLinks = (page) => page.locator('header .nav a:visible').allTextContents();
const whoami = (page) => page.locator('#whoami').filter({hasText: 'Signed in as'});

before(async () => {
  server = await new Server().start();
  browser = await launch();
  await server.staffWithPassword(ADA.id, ADA.name, ADA.email, 'admin', ADA.password);
  await server.ok('PUT', '/ops/staff/' + CARL.id, {name: CARL.name, email: CARL.email, role: 'agent'});
  await server.staffWithPassword(DORA.id, DORA.name, DORA.email, 'agent', DORA.password);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('invite and sign-in', () => {
  let inviteUrl;

  test('the invite page sets a password and signs the person in', async () => {
    const inv = await server.ok('POST', `/ops/staff/${CARL.id}/invite`);
    inviteUrl = inv.invite_url;
    assert.match(inviteUrl, /^http:\/\/127\.0\.0\.1:\d+\/invite\/[^/]+$/);
    const context = await browser.newContext({viewport: {width: 1280, height: 800}});
    const page = await watched(context);
    const res = await page.goto(inviteUrl);
    assert.equal(res.status(), 200);
    await page.getByRole('heading', {name: 'Choose your password'}).waitFor();
    assert.match(await page.locator('#password-rules').textContent(), /10 to 200 characters.*not your email/);
    // the page's own checks: too short, then two that differ
    await page.getByLabel('New password', {exact: true}).fill('short');
    await page.getByLabel('New password, again').fill('short');
    await page.getByRole('button', {name: 'Set password and sign in'}).click();
    await page.locator('#password-error').filter({hasText: 'at least 10 characters'}).waitFor();
    assert.equal(await page.getByLabel('New password', {exact: true}).getAttribute('aria-invalid'), 'true');
    await page.getByLabel('New password', {exact: true}).fill(CARL.password);
    await page.getByLabel('New password, again').fill(CARL.password + 'x');
    await page.getByRole('button', {name: 'Set password and sign in'}).click();
    await page.locator('#again-error').filter({hasText: 'not the same'}).waitFor();
    // the server's: the email itself is refused with 422 field password
    await page.getByLabel('New password', {exact: true}).fill(CARL.email);
    await page.getByLabel('New password, again').fill(CARL.email);
    await page.getByRole('button', {name: 'Set password and sign in'}).click();
    await page.locator('#password-error:not([hidden])').waitFor();
    await assertLabelled(page);
    await page.screenshot({path: shotPath('invite-error-1280.png')});
    await page.getByLabel('New password', {exact: true}).fill(CARL.password);
    await page.getByLabel('New password, again').fill(CARL.password);
    await page.getByRole('button', {name: 'Set password and sign in'}).click();
    await page.waitForURL(/\/tasks$/);
    await whoami(page).waitFor();
    assert.equal(await page.locator('#whoami').textContent(), `Signed in as ${CARL.name}`);
    await noProblems(page);
    await context.close();
  });

  test('a used invite link shows the "no longer valid" page with 404', async () => {
    const context = await browser.newContext({viewport: {width: 1280, height: 800}});
    const page = await watched(context);
    const res = await page.goto(inviteUrl);
    assert.equal(res.status(), 404);
    await page.getByRole('heading', {name: 'This link is no longer valid'}).waitFor();
    await page.screenshot({path: shotPath('invite-invalid-1280.png')});
    assert.equal(await page.getByRole('link', {name: 'Go to sign-in'}).getAttribute('href'), '/login');
    await context.close();
  });

  test('an invite page whose link died meanwhile says so when the form is sent', async () => {
    const {invite_url: url} = await server.ok('POST', `/ops/staff/${CARL.id}/invite`);
    const context = await browser.newContext({viewport: {width: 1280, height: 800}});
    const page = await watched(context);
    await page.goto(url);
    await page.getByRole('heading', {name: 'Choose your password'}).waitFor();
    // a newer invite replaces this one
    await server.ok('POST', `/ops/staff/${CARL.id}/invite`);
    await page.getByLabel('New password', {exact: true}).fill('Another-long-one-55');
    await page.getByLabel('New password, again').fill('Another-long-one-55');
    await page.getByRole('button', {name: 'Set password and sign in'}).click();
    await page.locator('#dead').filter({hasText: 'This link is no longer valid; ask an admin for a new one'}).waitFor();
    assert.equal(await page.locator('#invite').isHidden(), true);
    await context.close();
  });

  test('sign-in by email and password: a wrong one is refused inline, the right one goes back to next', async () => {
    const context = await browser.newContext({baseURL: server.url, viewport: {width: 1280, height: 800}});
    const page = await watched(context);
    await page.goto('/tasks?status=all');
    await page.waitForURL(/\/login\?next=/);
    await assertLabelled(page);
    await page.screenshot({path: shotPath('login-password-1280.png')});
    // empty fields are caught on the page
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await page.locator('#email-error').filter({hasText: 'Enter your email address'}).waitFor();
    await page.getByLabel('Email address').fill(CARL.email.toUpperCase());
    await page.getByLabel('Password', {exact: true}).fill('Not-the-password-1');
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await page.locator('#login-password .form-error').filter({hasText: 'The email or password is not right'}).waitFor();
    await page.screenshot({path: shotPath('login-wrong-1280.png')});
    await page.getByLabel('Password', {exact: true}).fill(CARL.password);
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await page.waitForURL(/\/tasks\?status=all$/);
    await whoami(page).waitFor();
    assert.equal(await page.locator('#whoami').textContent(), `Signed in as ${CARL.name}`);
    const session = (await context.cookies()).find((c) => c.name === 'opstasks_session');
    assert.ok(session && session.httpOnly);
    await noProblems(page);
    await context.close();
  });

  test('after 5 failures for one email the page says how long to wait', async () => {
    const email = 'nobody@example.test';
    for (let i = 0; i < 5; i++) {
      const res = await fetch(server.url + '/login', {method: 'POST', body: JSON.stringify({email, password: 'Wrong-password-' + i}),
                                                       headers: {'Content-Type': 'application/json', Origin: server.url}});
      assert.equal(res.status, 401);
    }
    const context = await browser.newContext({baseURL: server.url, viewport: {width: 1280, height: 800}});
    const page = await watched(context);
    await page.goto('/login');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', {exact: true}).fill('Wrong-password-9');
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    const msg = page.locator('#login-password .form-error').filter({hasText: 'Too many attempts'});
    await msg.waitFor();
    assert.match(await msg.textContent(), /^Too many attempts; try again in (1[0-5]|[1-9]) minutes?\.$/);
    await page.screenshot({path: shotPath('login-429-1280.png')});
    await noProblems(page);
    await context.close();
  });

  test('the token form is behind its link, and still signs in', async () => {
    const context = await browser.newContext({baseURL: server.url, viewport: {width: 1280, height: 800}});
    const page = await watched(context);
    await page.goto('/login');
    assert.equal(await page.getByLabel('API token').isVisible(), false);
    const link = page.getByRole('button', {name: 'Sign in with an API token'});
    assert.equal(await link.getAttribute('aria-expanded'), 'false');
    await link.click();
    assert.equal(await page.getByLabel('Email address').isVisible(), false);
    await page.getByLabel('API token').fill(server.admin);
    await page.screenshot({path: shotPath('login-token-1280.png')});
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await page.waitForURL(/\/tasks$/);
    // an admin token tied to nobody: its own name, and the admin links
    await whoami(page).waitFor();
    assert.equal(await page.locator('#whoami').textContent(), 'Signed in as admin');
    assert.deepEqual(await navLinks(page), ['Queue', 'Renewals', 'Account', 'Staff', 'Audit']);
    // its account page lists its session, and has no password to change
    await page.getByRole('link', {name: 'Account'}).click();
    await page.locator('#session-rows tr.is-current').waitFor();
    assert.equal(await page.locator('#no-password').isVisible(), true);
    assert.equal(await page.locator('#password-form').isHidden(), true);
    await noProblems(page);
    await context.close();
  });
});

describe('nav bar and names', () => {
  test('an agent sees Queue, Renewals and Account, their name, and no admin pages', async () => {
    const {context, page} = await signedInWithPassword(browser, server, CARL.email, CARL.password);
    await whoami(page).waitFor();
    assert.deepEqual(await navLinks(page), ['Queue', 'Renewals', 'Account']);
    assert.equal(await page.locator('.nav a[aria-current=page]').textContent(), 'Queue');
    // the admin pages: sent on to the queue (or refused, or the page says so and lists nothing)
    for (const path of ['/staff', '/audit']) {
      const res = await page.goto(path);
      if (/\/tasks$/.test(page.url())) {
        assert.equal(res.status(), 200);
      } else if (res.status() === 200) {
        await page.locator('#error').filter({hasText: 'Only admins'}).waitFor();
        assert.equal(await page.locator('tbody tr').count(), 0);
      } else {
        assert.equal(res.status(), 403, path);
      }
    }
    await context.close();
  });

  test('an admin sees Staff and Audit too, and history names the people who acted', async () => {
    const {context, page} = await signedInWithPassword(browser, server, ADA.email, ADA.password);
    await whoami(page).waitFor();
    assert.equal(await page.locator('#whoami').textContent(), `Signed in as ${ADA.name}`);
    assert.deepEqual(await navLinks(page), ['Queue', 'Renewals', 'Account', 'Staff', 'Audit']);
    // made with the admin token (tied to nobody), started by Ada in the page
    const t = await server.task({title: 'Ring the notary', assignee_id: CARL.id});
    await page.goto('/tasks/' + t.id);
    await page.getByRole('button', {name: 'Start'}).click();
    await page.locator('.history li').nth(1).waitFor();
    const lines = await page.locator('.history li').allTextContents();
    assert.ok(lines.some((l) => l.includes(ADA.name) && l.includes('started it')), lines.join('\n'));
    for (const l of lines) assert.ok(!/tok_|token:/.test(l), 'no token id in history: ' + l);
    assert.equal(await page.locator('.facts').getByText(CARL.name).count(), 1);
    assert.deepEqual(await navLinks(page), ['Queue', 'Renewals', 'Account', 'Staff', 'Audit']);
    await page.screenshot({path: shotPath('task-history-1280.png'), fullPage: true});
    await noProblems(page);
    await context.close();
  });
});

describe('account page', () => {
  test('lists one\'s sessions with this one marked; End ends another', async () => {
    const other = await signedInWithPassword(browser, server, DORA.email, DORA.password);
    const {context, page} = await signedInWithPassword(browser, server, DORA.email, DORA.password);
    await page.getByRole('link', {name: 'Account'}).click();
    await page.waitForURL(/\/account$/);
    const rows = page.locator('#session-rows tr');
    await rows.first().waitFor();
    const n = await rows.count();
    assert.ok(n >= 2, `at least the two sessions (${n})`);
    assert.equal(await page.locator('#session-rows tr.is-current').count(), 1);
    assert.equal(await page.locator('#session-rows .badge-current').textContent(), 'This browser');
    assert.match(await rows.first().locator('td').first().textContent(), /Chrome/);
    assert.equal(await page.locator('.nav a[aria-current=page]').textContent(), 'Account');
    await assertLabelled(page);
    await page.screenshot({path: shotPath('account-1280.png'), fullPage: true});
    // end the newest session that is not this one: the other browser's
    await page.locator('#session-rows tr:not(.is-current)').first().getByRole('button', {name: /^End the session/}).click();
    await page.waitForFunction((k) => document.querySelectorAll('#session-rows tr').length === k, n - 1);
    await page.locator('#toast').filter({hasText: 'Session ended'}).waitFor();
    // the other browser is signed out
    await other.page.goto('/tasks');
    await other.page.waitForURL(/\/login\?next=/);
    await other.context.close();
    await noProblems(page);
    await context.close();
  });

  test('change password: wrong current one, two that differ, then done; the new one signs in', async () => {
    const bystander = await signedInWithPassword(browser, server, DORA.email, DORA.password);
    const {context, page} = await signedInWithPassword(browser, server, DORA.email, DORA.password);
    await page.goto('/account');
    await page.locator('#session-rows tr').first().waitFor();
    const fresh = 'Saffron-lighthouse-19';
    await page.getByLabel('Current password').fill('Not-my-password-3');
    await page.getByLabel('New password', {exact: true}).fill(fresh);
    await page.getByLabel('New password, again').fill(fresh);
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.locator('#current_password-error:not([hidden])').waitFor();
    assert.equal(await page.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
    await page.screenshot({path: shotPath('account-wrong-password-1280.png'), fullPage: true});
    await page.getByLabel('Current password').fill(DORA.password);
    await page.getByLabel('New password, again').fill(fresh + '!');
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.locator('#again-error').filter({hasText: 'not the same'}).waitFor();
    await page.getByLabel('New password, again').fill(fresh);
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.locator('#toast').filter({hasText: 'Password changed'}).waitFor();
    // the other sessions were ended: only this one is listed
    await page.waitForFunction(() => document.querySelectorAll('#session-rows tr').length === 1);
    assert.equal(await page.locator('#session-rows tr.is-current').count(), 1);
    await bystander.page.goto('/tasks');
    await bystander.page.waitForURL(/\/login\?next=/);
    await bystander.context.close();
    DORA.password = fresh;
    const again = await signedInWithPassword(browser, server, DORA.email, DORA.password);
    await again.context.close();
    await noProblems(page);
    await context.close();
  });
});

describe('staff page', () => {
  let context, page;
  before(async () => ({context, page} = await signedInWithPassword(browser, server, ADA.email, ADA.password)));
  after(async () => { await noProblems(page); await context.close(); });

  const rowOf = (id) => page.locator(`#staff-rows tr[data-id="${id}"]`);

  test('lists staff with role, status, last sign-in and password state', async () => {
    await server.ok('PUT', '/ops/staff/sta_markup', {name: '<img src=x onerror=alert(1)> Mark', email: null});
    await page.getByRole('link', {name: 'Staff'}).click();
    await page.waitForURL(/\/staff$/);
    await rowOf(ADA.id).waitFor();
    assert.equal(await rowOf(ADA.id).locator('.c-role').textContent(), 'Admin');
    assert.equal(await rowOf(CARL.id).locator('.c-role').textContent(), 'Agent');
    assert.equal(await rowOf(CARL.id).locator('.c-active').textContent(), 'Active');
    assert.notEqual(await rowOf(CARL.id).locator('.c-login').textContent(), 'Never');
    assert.match(await rowOf(CARL.id).locator('.c-password').textContent(), /^Set/);
    // a name with markup is text; with no email there is nobody to invite
    assert.equal(await rowOf('sta_markup').locator('.staff-name').textContent(), '<img src=x onerror=alert(1)> Mark');
    assert.equal(await page.locator('#staff-rows img').count(), 0);
    assert.equal(await rowOf('sta_markup').locator('td').nth(1).textContent(), 'none');
    // one cannot demote or deactivate oneself here
    assert.equal(await rowOf(ADA.id).locator('[data-action=active]').count(), 0);
    await assertLabelled(page);
    await page.screenshot({path: shotPath('staff-1280.png'), fullPage: true});
  });

  test('add a member: the id is checked, then the row appears', async () => {
    await page.getByRole('button', {name: 'Add staff member'}).click();
    await page.locator('#add-form').getByLabel('Id', {exact: true}).fill('erin');
    await page.locator('#add-form').getByLabel('Name', {exact: true}).fill('Erin New');
    await page.getByRole('button', {name: 'Add', exact: true}).click();
    await page.locator('#add-id-error').filter({hasText: 'sta_'}).waitFor();
    await page.locator('#add-form').getByLabel('Id', {exact: true}).fill(CARL.id);
    await page.getByRole('button', {name: 'Add', exact: true}).click();
    await page.locator('#add-id-error').filter({hasText: 'taken'}).waitFor();
    await page.locator('#add-form').getByLabel('Id', {exact: true}).fill('sta_erin');
    await page.locator('#add-form').getByLabel('Email address', {exact: true}).fill('erin@example.test');
    await page.screenshot({path: shotPath('staff-add-1280.png')});
    await page.getByRole('button', {name: 'Add', exact: true}).click();
    await rowOf('sta_erin').waitFor();
    assert.equal(await page.locator('#add-box').isHidden(), true);
    assert.match(await rowOf('sta_erin').locator('.c-password').textContent(), /Not invited yet/);
    const s = await server.ok('GET', '/ops/staff/sta_erin');
    assert.equal(s.role, 'agent');
    assert.equal(s.email, 'erin@example.test');
  });

  test('Edit changes name and email; an email makes Invite possible', async () => {
    const row = rowOf('sta_markup');
    assert.equal(await row.getByRole('button', {name: /^Invite /}).isDisabled(), true);
    await row.getByRole('button', {name: /^Edit name or email/}).click();
    const form = page.locator('tr.editor-row[data-for="sta_markup"] form');
    await form.getByLabel('Email address').fill('not an address');
    await form.getByRole('button', {name: 'Save'}).click();
    await form.locator('.field-error:not([hidden])').filter({hasText: 'email'}).waitFor();
    await page.screenshot({path: shotPath('staff-edit-1280.png')});
    await form.getByLabel('Name', {exact: true}).fill('Mark Up');
    await form.getByLabel('Email address').fill('mark@example.test');
    await form.getByRole('button', {name: 'Save'}).click();
    await row.locator('.staff-name').filter({hasText: /^Mark Up$/}).waitFor();
    assert.equal(await page.locator('tr.editor-row').count(), 0);
    assert.equal(await row.getByRole('button', {name: 'Invite Mark Up', exact: true}).isEnabled(), true);
    const s = await server.ok('GET', '/ops/staff/sta_markup');
    assert.deepEqual([s.name, s.email, s.role, s.active], ['Mark Up', 'mark@example.test', 'agent', true]);
  });

  test('Invite shows the link to copy with its expiry; the row then offers Re-invite', async () => {
    await rowOf('sta_erin').getByRole('button', {name: 'Invite Erin New', exact: true}).click();
    const url = page.locator('#invite-url');
    await url.waitFor();
    assert.match(await url.inputValue(), /^http:\/\/127\.0\.0\.1:\d+\/invite\/.+/);
    assert.match(await page.locator('#invite-text').textContent(), /Invite link for Erin New \(erin@example\.test\), valid until .+\./);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'invite-url');
    await page.getByRole('button', {name: 'Copy link'}).click();
    await page.locator('#toast').filter({hasText: 'Link copied'}).waitFor();
    await rowOf('sta_erin').getByRole('button', {name: 'Re-invite Erin New'}).waitFor();
    assert.match(await rowOf('sta_erin').locator('.c-password').textContent(), /Invite pending until/);
    await page.screenshot({path: shotPath('staff-invite-1280.png')});
    // the link works: it opens the invite page
    const other = await browser.newContext();
    const p2 = await other.newPage();
    assert.equal((await p2.goto(await url.inputValue())).status(), 200);
    await other.close();
  });

  test('change role, with a confirmation', async () => {
    await rowOf(CARL.id).getByRole('button', {name: `Make admin: ${CARL.name}`}).click();
    const dlg = page.locator('#confirm-action');
    await dlg.getByRole('heading', {name: `Make ${CARL.name} an admin?`}).waitFor();
    await page.screenshot({path: shotPath('staff-role-confirm-1280.png')});
    // Escape keeps it as it is
    await page.keyboard.press('Escape');
    assert.equal(await rowOf(CARL.id).locator('.c-role').textContent(), 'Agent');
    await rowOf(CARL.id).getByRole('button', {name: `Make admin: ${CARL.name}`}).click();
    await dlg.getByRole('button', {name: 'Make admin'}).click();
    await rowOf(CARL.id).locator('.c-role').filter({hasText: 'Admin'}).waitFor();
    assert.equal((await server.ok('GET', '/ops/staff/' + CARL.id)).role, 'admin');
    await rowOf(CARL.id).getByRole('button', {name: `Make agent: ${CARL.name}`}).click();
    await dlg.getByRole('button', {name: 'Make agent'}).click();
    await rowOf(CARL.id).locator('.c-role').filter({hasText: 'Agent'}).waitFor();
    assert.equal((await server.ok('GET', '/ops/staff/' + CARL.id)).role, 'agent');
  });

  test('deactivate ends that person\'s sessions at once; activate brings the account back', async () => {
    const dora = await signedInWithPassword(browser, server, DORA.email, DORA.password);
    await rowOf(DORA.id).getByRole('button', {name: `Deactivate ${DORA.name}`}).click();
    await page.locator('#confirm-action').getByRole('button', {name: 'Deactivate'}).click();
    await rowOf(DORA.id).locator('.c-active').filter({hasText: /^Inactive$/}).waitFor();
    assert.equal(await rowOf(DORA.id).getByRole('button', {name: `Invite ${DORA.name}`, exact: true}).count(), 0);
    assert.equal(await rowOf(DORA.id).getByRole('button', {name: `Re-invite ${DORA.name}`}).count(), 0);
    await page.screenshot({path: shotPath('staff-deactivated-1280.png')});
    await dora.page.goto('/tasks');
    await dora.page.waitForURL(/\/login\?next=/);
    // an inactive person cannot sign in
    await dora.page.getByLabel('Email address').fill(DORA.email);
    await dora.page.getByLabel('Password', {exact: true}).fill(DORA.password);
    await dora.page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await dora.page.locator('#login-password .form-error').filter({hasText: 'not right'}).waitFor();
    await rowOf(DORA.id).getByRole('button', {name: `Activate ${DORA.name}`}).click();
    await rowOf(DORA.id).locator('.c-active').filter({hasText: /^Active$/}).waitFor();
    assert.equal((await server.ok('GET', '/ops/staff/' + DORA.id)).active, true);
    await dora.page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await dora.page.waitForURL(/\/tasks$/);
    await dora.context.close();
  });

  test('at 390 px wide each member is a card, with no sideways scrolling', async () => {
    const small = await signedInWithPassword(browser, server, ADA.email, ADA.password, {width: 390, height: 844});
    await small.page.goto('/staff');
    await small.page.locator(`#staff-rows tr[data-id="${CARL.id}"]`).waitFor();
    const overflow = await small.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow})`);
    await small.page.screenshot({path: shotPath('staff-390.png'), fullPage: true});
    await small.page.goto('/account');
    await small.page.locator('#session-rows tr').first().waitFor();
    await small.page.screenshot({path: shotPath('account-390.png'), fullPage: true});
    await noProblems(small.page);
    await small.context.close();
  });
});

describe('audit page', () => {
  let context, page;
  before(async () => ({context, page} = await signedInWithPassword(browser, server, ADA.email, ADA.password)));
  after(async () => { await noProblems(page); await context.close(); });

  const types = () => page.locator('#rows tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.type));

  test('shows the log newest first, with names', async () => {
    await page.getByRole('link', {name: 'Audit'}).click();
    await page.waitForURL(/\/audit$/);
    await page.locator('#rows tr').first().waitFor();
    const got = await types();
    for (const t of ['login.succeeded', 'login.failed', 'invite.created', 'password.changed', 'staff.role_changed',
                     'staff.active_changed'])
      assert.ok(got.includes(t), `a ${t} row (${[...new Set(got)].join(', ')})`);
    const ats = await page.locator('#rows tr time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
    assert.deepEqual(ats, [...ats].sort().reverse(), 'newest first');
    // the role change by Ada names both people
    const role = page.locator('#rows tr[data-type="staff.role_changed"]').first();
    assert.equal(await role.locator('.c-actor').textContent(), ADA.name);
    assert.match(await role.locator('.summary').textContent(), new RegExp(`${CARL.name}: admin → agent`));
    await assertLabelled(page);
    await page.screenshot({path: shotPath('audit-1280.png')});
  });

  test('filter by type: in the URL and in the CSV link', async () => {
    await page.locator('#f-type').selectOption('login.failed');
    await page.waitForURL(/\/audit\?type=login\.failed$/);
    await page.waitForFunction(() => [...document.querySelectorAll('#rows tr')].every((tr) => tr.dataset.type === 'login.failed'));
    const got = await types();
    assert.ok(got.length >= 6, `the failed sign-ins (${got.length})`);
    const failed = page.locator('#rows tr').filter({hasText: 'nobody@example.test'}).first();
    await failed.waitFor();
    const href = await page.locator('#csv').getAttribute('href');
    assert.match(href, /^\/ops\/audit\?type=login\.failed&format=csv$/);
    const csv = await context.request.get(href);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /^text\/csv/);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    assert.equal(lines[0], 'id,at,type,actor,client,details');
    assert.ok(lines.slice(1).every((l) => l.includes('login.failed')));
    await page.screenshot({path: shotPath('audit-filtered-1280.png')});
    // a prefix: every sign-in row
    await page.locator('#f-type').selectOption('login');
    await page.waitForURL(/type=login$/);
    await page.waitForFunction(() => [...document.querySelectorAll('#rows tr')].some((tr) => tr.dataset.type === 'login.succeeded'));
    assert.ok((await types()).every((t) => t.startsWith('login.')));
    // by person
    await page.locator('#f-type').selectOption('');
    await page.locator('#f-actor').selectOption({label: ADA.name});
    await page.waitForURL(new RegExp(`actor=${ADA.id}$`));
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length > 0 &&
      [...document.querySelectorAll('#rows .c-actor')].every((td) => td.textContent === 'Ada Admin'));
    await page.getByRole('button', {name: 'Reset filters'}).click();
    await page.waitForURL(/\/audit$/);
    // dates: today's rows are in a from..to of today; a later from shows none; to before from is refused
    const today = (await server.ok('GET', '/ops/me')).today;
    await page.locator('#f-from').fill(today);
    await page.locator('#f-to').fill(today);
    await page.waitForURL(new RegExp(`from=${today}&to=${today}$`));
    await page.locator('#rows tr').first().waitFor();
    assert.equal(await page.locator('#empty').isHidden(), true);
    await page.goto('/audit?from=2099-01-01');
    await page.locator('#empty').filter({hasText: 'Nothing in the log matches'}).waitFor();
    assert.equal(await page.locator('#f-from').inputValue(), '2099-01-01');
    await page.goto('/audit?from=2099-01-02&to=2099-01-01');
    await page.locator('#error').filter({hasText: 'Could not load the log'}).waitFor();
    assert.equal(await page.locator('#f-to').getAttribute('aria-invalid'), 'true');
    await page.goto('/audit');
  });

  test('"Older" walks back past the first 100 rows', async () => {
    for (let i = 0; i < 105; i++) await server.ok('POST', '/ops/tokens', {name: `bulk ${i}`, role: 'agent'});
    await page.goto('/audit?type=token.created');
    await page.locator('#rows tr').first().waitFor();
    assert.equal(await page.locator('#rows tr').count(), 100);
    /* 105 here and those of the tokens the harness made on the command line */
    const total = (await server.ok('GET', '/ops/audit?type=token.created&limit=500')).data.length;
    assert.ok(total >= 105 && total < 200, `token.created rows: ${total}`);
    await page.getByRole('button', {name: 'Older'}).click();
    await page.waitForFunction((n) => document.querySelectorAll('#rows tr').length === n, total);
    assert.equal(await page.getByRole('button', {name: 'Older'}).isHidden(), true);
    const small = await signedInWithPassword(browser, server, ADA.email, ADA.password, {width: 390, height: 844});
    await small.page.goto('/audit');
    await small.page.locator('#rows tr').first().waitFor();
    const overflow = await small.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow})`);
    await small.page.screenshot({path: shotPath('audit-390.png')});
    await noProblems(small.page);
    await small.context.close();
  });
});
