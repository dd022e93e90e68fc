// bell.test.mjs: the notifications bell in every signed-in page's header
// (src/web/common.js, "notify"), in a real browser against the real
// binary: the unread count follows an assignment and a mention made by
// someone else without a reload (ops:changes from live.js), the list opens
// from the keyboard and closes with Escape, an item opens its task and is
// marked read, "Mark all read" clears the count, the account page's email
// switches save as they are ticked, a session with no staff member behind
// it shows neither. Screenshots at 1280x800 and 390x844.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Server, launch, signedIn, shotPath} from './harness.mjs';

let server, browser, bea, bossTok;

before(async () => {
  server = await new Server().start();
  browser = await launch();
  await server.ok('PUT', '/ops/staff/sta_bea', {name: 'Bea Keeper', email: 'bea@example.com'});
  await server.ok('PUT', '/ops/staff/sta_boss', {name: 'The Boss'});
  bea = server.token('agent', 'sta_bea');
  bossTok = server.token('agent', 'sta_boss');
  await server.task({title: 'Quiet task'});
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const count = (page) => page.locator('#bell .bell-count');

async function asBoss(method, path, body) {
  const r = await server.api(method, path, body, bossTok);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

describe('the bell', () => {
  test('the count follows changes live; the list opens, marks read and leads to the task', async () => {
    const {context, page} = await signedIn(browser, server, bea, {width: 1280, height: 800});
    try {
      await page.goto('/tasks');
      const bell = page.getByRole('button', {name: /^Notifications/});
      await assert.doesNotReject(bell.waitFor({state: 'visible', timeout: 5000}));
      await page.waitForFunction(() => document.getElementById('bell').getAttribute('aria-label') ===
                                 'Notifications, none unread', null, {timeout: 5000});
      assert.equal(await count(page).isHidden(), true);

      // someone else assigns Bea a task, then mentions her: the count moves without a reload
      const t1 = await asBoss('POST', '/ops/tasks', {title: 'Renew the <insurance>', due_date: '2039-01-01',
                                                     assignee_id: 'sta_bea'});
      await page.waitForFunction(() => document.querySelector('#bell .bell-count').textContent === '1', null,
                                 {timeout: 5000});
      const t2 = await asBoss('POST', '/ops/tasks', {title: 'Call the bank', due_date: '2039-01-02'});
      await asBoss('POST', `/ops/tasks/${t2.id}/comments`, {body: '@sta_bea can you take this?'});
      await page.waitForFunction(() => document.querySelector('#bell .bell-count').textContent === '2', null,
                                 {timeout: 5000});
      assert.equal(await bell.getAttribute('aria-label'), 'Notifications, 2 unread');
      await page.screenshot({path: shotPath('bell-1280.png')});

      // from the keyboard: Tab reaches the bell, Enter opens the list, Escape closes it
      await page.locator('body').focus();
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'bell');
      }
      assert.ok(reached, 'the bell is reachable with Tab');
      await page.keyboard.press('Enter');
      const panel = page.getByRole('region', {name: 'Notifications', exact: true});
      await panel.waitFor({state: 'visible', timeout: 3000});
      assert.equal(await bell.getAttribute('aria-expanded'), 'true');
      const items = panel.locator('.bell-item');
      await page.waitForFunction(() => document.querySelectorAll('#bell-list .bell-item').length === 2, null,
                                 {timeout: 3000});
      assert.deepEqual(await items.locator('.bell-kind').allTextContents(), ['You were mentioned', 'Assigned to you']);
      // the title is text, not markup
      assert.equal(await items.nth(1).locator('.bell-title').textContent(), 'Renew the <insurance>');
      assert.equal(await panel.locator('insurance').count(), 0);
      assert.equal(await panel.locator('.is-unread').count(), 2);
      await page.screenshot({path: shotPath('bell-open-1280.png')});
      await page.keyboard.press('Escape');
      await panel.waitFor({state: 'hidden', timeout: 2000});
      assert.equal(await page.evaluate(() => document.activeElement.id), 'bell');

      // an item opens its task and is marked read
      await bell.click();
      await page.waitForFunction(() => document.querySelectorAll('#bell-list .bell-item').length === 2, null,
                                 {timeout: 3000});
      await Promise.all([page.waitForURL(new RegExp(`/tasks/${t1.id}$`)),
                         panel.getByRole('link', {name: /Renew the <insurance>/}).click()]);
      await page.waitForFunction(() => document.querySelector('#bell .bell-count').textContent === '1', null,
                                 {timeout: 5000});
      const mine = await server.api('GET', '/ops/me/notifications', undefined, bea);
      assert.equal(mine.body.unread, 1);
      assert.ok(mine.body.data.find((n) => n.task_id === t1.id).read_at);

      // on the task page (another page, same bell): Mark all read clears the count
      await page.getByRole('button', {name: /^Notifications/}).click();
      await page.getByRole('button', {name: 'Mark all read'}).click();
      await count(page).waitFor({state: 'hidden', timeout: 3000});
      assert.equal((await server.api('GET', '/ops/me/notifications', undefined, bea)).body.unread, 0);
      assert.equal(await page.locator('#bell-list .is-unread').count(), 0);

      assert.deepEqual(page.problems, [], 'no script errors or CSP refusals');
    } finally {
      await context.close();
    }
  });

  test('on a phone the list fits the screen', async () => {
    await asBoss('POST', '/ops/tasks', {title: 'A phone-sized reminder with a rather long title that wraps',
                                        due_date: '2039-01-03', assignee_id: 'sta_bea'});
    const {context, page} = await signedIn(browser, server, bea, {width: 390, height: 844});
    try {
      await page.goto('/account');
      await page.waitForFunction(() => document.querySelector('#bell .bell-count').textContent === '1', null,
                                 {timeout: 5000});
      await page.screenshot({path: shotPath('bell-390.png')});
      await page.getByRole('button', {name: /^Notifications/}).click();
      const panel = page.getByRole('region', {name: 'Notifications', exact: true});
      await page.waitForFunction(() => document.querySelectorAll('#bell-list .bell-item').length >= 3, null,
                                 {timeout: 3000});
      const box = await panel.boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `the list fits: ${JSON.stringify(box)}`);
      await page.screenshot({path: shotPath('bell-open-390.png')});
      // a click elsewhere closes it
      await page.locator('main').click({position: {x: 5, y: 400}});
      await panel.waitFor({state: 'hidden', timeout: 2000});
      assert.deepEqual(page.problems, [], 'no script errors or CSP refusals');
    } finally {
      await context.close();
    }
  });

  test('the account page holds the email switches, each saved as it is ticked', async () => {
    const {context, page} = await signedIn(browser, server, bea, {width: 1280, height: 800});
    try {
      await page.goto('/account');
      const mention = page.getByLabel('When a comment mentions me');
      await mention.waitFor({state: 'visible', timeout: 5000});
      for (const name of ['When someone assigns me a task', 'When a comment mentions me',
                          'When a task of mine is at risk of breaching its SLA',
                          'A daily digest of my overdue tasks and those due today'])
        assert.equal(await page.getByLabel(name).isChecked(), true, name);
      await mention.focus();
      await page.keyboard.press('Space');
      await page.getByRole('status').filter({hasText: 'Saved.'}).waitFor({timeout: 3000});
      const got = await server.api('GET', '/ops/me/notification-settings', undefined, bea);
      assert.deepEqual(got.body, {assigned: true, mentioned: false, sla_at_risk: true, daily_digest: true});
      await page.reload();
      await page.getByLabel('When a comment mentions me').waitFor({state: 'visible', timeout: 5000});
      assert.equal(await page.getByLabel('When a comment mentions me').isChecked(), false);
      await page.locator('#notify-box').screenshot({path: shotPath('notify-settings-1280.png')});
      assert.deepEqual(page.problems, [], 'no script errors or CSP refusals');
    } finally {
      await context.close();
    }
  });

  test('a session of a token tied to nobody shows no bell', async () => {
    const {context, page} = await signedIn(browser, server, server.admin, {width: 1280, height: 800});
    try {
      await page.goto('/tasks');
      await page.locator('#whoami').waitFor({state: 'visible', timeout: 5000});
      await page.waitForFunction(() => { const b = document.querySelector('.bell-box'); return b && b.hidden; },
                                 null, {timeout: 5000});
      await page.goto('/account');
      await page.locator('#me-line').filter({hasText: 'Admin'}).waitFor({timeout: 5000});
      assert.equal(await page.locator('#notify-box').isHidden(), true, 'no email switches either');
      assert.deepEqual(page.problems, [], 'no script errors or CSP refusals');
    } finally {
      await context.close();
    }
  });
});
