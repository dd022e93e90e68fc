// customer.test.mjs: the customer page (/customers/{id}) and the renewals
// page (/renewals) in a real browser against the real binary: details, tasks
// in every status, renewal items with their next threshold, recent events
// with the tasks they made, the filters kept in the URL, an item's tasks,
// keyboard use, a right-to-left/markup title shown as text; screenshots at
// 1280 and 390 px wide.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Server, addDays, launch, signedIn, watched, shotPath} from './harness.mjs';

let server, browser, today, anna;
const ids = {};
const EVIL = '<img src=x onerror=alert(1)> \u05e9\u05dc\u05d5\u05dd renewal';

async function noProblems(page) {
  assert.deepEqual(page.problems, [], 'no script errors, CSP refusals or dialogs');
}

async function openCustomer(page, id) {
  await page.goto('/customers/' + id);
  await page.locator('main:not([aria-busy])').waitFor();
}

async function openRenewals(page, query) {
  await page.goto('/renewals' + (query || ''));
  await page.locator('#count').filter({hasText: /item/}).waitFor();
}

before(async () => {
  server = await new Server().start();
  browser = await launch();
  today = (await server.ok('GET', '/ops/me')).today;
  await server.ok('PUT', '/ops/staff/sta_anna', {name: 'Anna Staff'});
  await server.ok('PUT', '/ops/staff/sta_ben', {name: 'Ben Worker'});
  await server.ok('PUT', '/ops/customers/cus_ayse', {name: 'Ayşe Yılmaz', email: 'ayse@example.test', owner_id: 'sta_anna'});
  await server.ok('PUT', '/ops/customers/cus_bob', {name: 'Bob Other'});
  anna = server.token('agent', 'sta_anna');
  const t = async (key, f) => { ids[key] = (await server.task({user_id: 'cus_ayse', ...f})).id; };
  await t('open', {title: 'Chase bank statement', priority: 'HIGH', due_date: addDays(today, 2), assignee_id: 'sta_anna',
                   sla_hours: 24});
  await t('late', {title: 'Copy of passport missing', due_date: addDays(today, -3)});
  await t('lateWork', {title: 'Translate birth certificate', due_date: addDays(today, -1), assignee_id: 'sta_ben'});
  await server.ok('PATCH', '/ops/tasks/' + ids.lateWork, {status: 'IN_PROGRESS'});
  await t('done', {title: 'Already done', due_date: addDays(today, 1)});
  await server.ok('PATCH', '/ops/tasks/' + ids.done, {status: 'COMPLETED'});
  await t('gone', {title: 'Called off', due_date: addDays(today, 1)});
  await server.ok('PATCH', '/ops/tasks/' + ids.gone, {status: 'CANCELLED'});
  await t('evil', {title: EVIL, due_date: addDays(today, 4)});
  await server.task({title: 'Someone else’s task', user_id: 'cus_bob', due_date: addDays(today, 1)});
  // renewal items: one inside the 30-day threshold (the engine makes a task), one far off, one of Bob's
  await server.ok('PUT', '/ops/customers/cus_ayse/renewals/ren_permit', {kind: 'residence_permit', expires_on: addDays(today, 20)});
  await server.ok('PUT', '/ops/customers/cus_ayse/renewals/ren_pass', {kind: 'passport', expires_on: addDays(today, 400)});
  await server.ok('PUT', '/ops/customers/cus_bob/renewals/ren_bob', {kind: 'passport', expires_on: addDays(today, 45)});
  await server.ok('POST', '/ops/renewals/run');
  // a rule and an event of Ayşe's that it turns into a task
  await server.ok('PUT', '/ops/rules/rul_docs', {name: 'Follow up rejected documents', event_type: 'document.rejected',
    task: {title: 'Request a new {{data.document_type}}', due_in_days: 2}});
  await server.ok('POST', '/ops/events', {id: 'evt_one', type: 'document.rejected', user_id: 'cus_ayse',
                                          data: {document_type: 'bank_statement', reason: 'unreadable scan'}});
  await server.ok('POST', '/ops/events', {id: 'evt_bob', type: 'document.rejected', user_id: 'cus_bob',
                                          data: {document_type: 'payslip'}});
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('the customer page', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna, {width: 1280, height: 800})));
  after(async () => { await noProblems(page); await context.close(); });

  test('shows the details, and the tasks in every status with their counts', async () => {
    await openCustomer(page, 'cus_ayse');
    await page.locator('h1', {hasText: 'Ayşe Yılmaz'}).waitFor();
    assert.equal(await page.title(), 'Ayşe Yılmaz · opstasks');
    const facts = await page.locator('#facts').innerText();
    assert.match(facts, /ayse@example\.test/);
    assert.match(facts, /Anna Staff/, 'the owner by name');
    const titles = await page.locator('#tasks .title-link').allTextContents();
    // every status, Bob's task not among them; the renewal and rule tasks too
    for (const x of ['Chase bank statement', 'Copy of passport missing', 'Translate birth certificate', 'Already done',
                     'Called off', EVIL, 'Request a new bank_statement'])
      assert.ok(titles.includes(x), `${x} in ${titles}`);
    assert.ok(titles.some((x) => x.startsWith('Renew residence_permit for Ayşe Yılmaz')), titles.join());
    assert.ok(!titles.includes('Someone else’s task'));
    const counts = await page.locator('#task-counts').innerText();
    assert.match(counts, /1 completed/);
    assert.match(counts, /1 cancelled/);
    assert.match(counts, /2 overdue/);
    // overdue and in progress says both
    const lateRow = page.locator('#tasks tr', {hasText: 'Translate birth certificate'});
    assert.equal(await lateRow.locator('.badge.status').textContent(), '⚠Overdue · in progress');
    assert.match(await lateRow.innerText(), /Ben Worker/);
    // the title is a link to its task page, isolated, with the full title on hover
    const link = page.locator('#tasks a.title-link', {hasText: 'Chase bank statement'});
    assert.equal(await link.getAttribute('href'), '/tasks/' + ids.open);
    assert.equal(await link.getAttribute('dir'), 'auto');
    assert.equal(await link.locator('bdi').count(), 1);
  });

  test('a title with markup and right-to-left text is shown as text', async () => {
    const cell = page.locator('#tasks a.title-link', {hasText: 'renewal'}).filter({hasText: 'img'});
    assert.equal(await cell.textContent(), EVIL);
    assert.equal(await page.locator('#tasks img').count(), 0);
  });

  test('"Active" shows only open, in progress and overdue tasks', async () => {
    await page.getByLabel('Show').selectOption({label: 'Active'});
    await page.locator('#tasks tr', {hasText: 'Already done'}).waitFor({state: 'detached'});
    const st = await page.locator('#tasks .badge.status').allInnerTexts();
    assert.ok(st.length >= 4 && st.every((s) => /Open|In progress|Overdue/.test(s)), st.join());
    await page.getByLabel('Show').selectOption({label: 'Every status'});
    await page.locator('#tasks tr', {hasText: 'Already done'}).waitFor();
  });

  test('shows the renewal items with their next threshold and newest task', async () => {
    const permit = page.locator('#renewals tr', {hasText: 'Residence permit'});
    const text = await permit.innerText();
    assert.match(text, /expires in 20 d/);
    assert.match(text, /14-day threshold, Urgent, crosses/, 'the 30-day one has acted; 14 days is next');
    const renewTask = (await server.ok('GET', '/ops/tasks?renewal_id=ren_permit&status=all')).data[0];
    assert.equal(await permit.locator('a').getAttribute('href'), '/tasks/' + renewTask.id);
    const pass = await page.locator('#renewals tr', {hasText: 'Passport'}).innerText();
    assert.match(pass, /None yet/);
    assert.match(pass, /90-day threshold/);
    assert.equal(await page.locator('#renewals tr', {hasText: 'ren_bob'}).count(), 0, 'only this customer’s items');
    assert.equal(await page.getByRole('link', {name: 'Open in Renewals: Ayşe Yılmaz\'s items'}).getAttribute('href'),
                 '/renewals?user_id=cus_ayse');
  });

  test('shows recent events with the rule by name and the task it made', async () => {
    const ev = page.locator('#events > li', {hasText: 'document.rejected'});
    assert.equal(await ev.count(), 1, 'Bob’s event is not listed');
    const text = await ev.innerText();
    assert.match(text, /rules: Follow up rejected documents/);
    const made = ev.getByRole('link', {name: 'Request a new bank_statement'});
    assert.match(await made.getAttribute('href'), /^\/tasks\/tsk_/);
    await ev.locator('summary', {hasText: 'Data'}).click();
    assert.match(await ev.locator('pre').innerText(), /"reason": "unreadable scan"/);
  });

  test('is usable by keyboard alone', async () => {
    await openCustomer(page, 'cus_ayse');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await page.keyboard.press('Enter');
    // from the skip link on, Tab reaches the status filter and then the first task's link
    const seen = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      seen.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent));
    }
    assert.ok(seen.includes('f-status'), seen.join(' | '));
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(outline, 'solid', 'focus is visible');
  });

  test('screenshots at 1280 and 390 px', async () => {
    await openCustomer(page, 'cus_ayse');
    await page.screenshot({path: shotPath('customer-1280.png'), fullPage: true});
    await page.setViewportSize({width: 390, height: 844});
    await openCustomer(page, 'cus_ayse');
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `no sideways scrolling on a phone (${w} px)`);
    await page.screenshot({path: shotPath('customer-390.png'), fullPage: true});
    await page.setViewportSize({width: 1280, height: 800});
  });

  test('an unknown customer says so', async () => {
    await page.goto('/customers/cus_nobody');
    await page.locator('#error', {hasText: 'There is no customer cus_nobody.'}).waitFor();
    assert.equal(await page.locator('h1').innerText(), 'Customer not found');
  });
});

test('a signed-out visit to a customer goes to /login and comes back', async () => {
  const context = await browser.newContext({baseURL: server.url});
  const page = await watched(context);
  await page.goto('/customers/cus_ayse');
  assert.match(page.url(), /\/login\?next=/);
  await page.getByRole('button', {name: 'Sign in with an API token'}).click();
  await page.getByLabel('API token').fill(anna);
  await page.getByRole('button', {name: 'Sign in', exact: true}).click();
  await page.waitForURL(/\/customers\/cus_ayse$/);
  await page.locator('h1', {hasText: 'Ayşe Yılmaz'}).waitFor();
  await noProblems(page);
  await context.close();
});

describe('the renewals page', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna, {width: 1280, height: 800})));
  after(async () => { await noProblems(page); await context.close(); });

  test('lists every item, soonest expiry first, with its customer linked', async () => {
    await openRenewals(page);
    const items = await page.locator('#rows tr.item .sub').allTextContents();
    assert.deepEqual(items, ['ren_permit', 'ren_bob', 'ren_pass']);
    assert.equal(await page.locator('#count').innerText(), '3 items');
    const bob = page.locator('#rows tr.item', {hasText: 'ren_bob'});
    assert.equal(await bob.getByRole('link', {name: 'Bob Other'}).getAttribute('href'), '/customers/cus_bob');
    assert.match(await bob.innerText(), /expires in 45 d/);
    assert.match(await page.locator('#rows tr.item', {hasText: 'ren_pass'}).innerText(),
                 new RegExp(await page.evaluate((d) => Ops.formatDate(d), addDays(today, 400))));
  });

  test('"All tasks" shows the item’s tasks under its row', async () => {
    const btn = page.getByRole('button', {name: 'All tasks for Residence permit of Ayşe Yılmaz'});
    await btn.click();
    assert.equal(await btn.getAttribute('aria-expanded'), 'true');
    const sub = page.locator('tr.sub-row');
    await sub.locator('a.title-link').first().waitFor();
    assert.match(await sub.innerText(), /Renew residence_permit for Ayşe Yılmaz/);
    await btn.click();
    assert.equal(await page.locator('tr.sub-row').count(), 0);
  });

  test('filters by kind and expiry, kept in the URL', async () => {
    await page.getByLabel('Kind').fill('Passport');
    await page.getByLabel('Kind').press('Enter');
    await page.waitForURL(/kind=passport/);
    await page.locator('#count', {hasText: '2 items'}).waitFor();
    await page.getByLabel('Expiring before').fill(addDays(today, 100));
    await page.waitForURL(/expires_before=/);
    await page.locator('#count', {hasText: '1 item'}).waitFor();
    assert.deepEqual(await page.locator('#rows tr.item .sub').allTextContents(), ['ren_bob']);
    // a reload keeps them
    await openRenewals(page, new URL(page.url()).search);
    assert.equal(await page.getByLabel('Kind').inputValue(), 'passport');
    assert.deepEqual(await page.locator('#rows tr.item .sub').allTextContents(), ['ren_bob']);
    await page.getByRole('button', {name: 'Reset filters'}).click();
    await page.locator('#count', {hasText: '3 items'}).waitFor();
    assert.equal(new URL(page.url()).search, '');
  });

  test('filters by customer picked by name, by keyboard', async () => {
    const box = page.getByRole('combobox', {name: 'Customer'});
    await box.fill('ayse');
    await page.getByRole('option', {name: /Ayşe Yılmaz/}).waitFor();
    await page.screenshot({path: shotPath('renewals-picker-1280.png')});
    await box.press('Enter');
    await page.waitForURL(/user_id=cus_ayse/);
    await page.locator('#count', {hasText: '2 items'}).waitFor();
    assert.deepEqual(await page.locator('#rows tr.item .sub').allTextContents(), ['ren_permit', 'ren_pass']);
    // the name, not the id, after a reload
    await openRenewals(page, '?user_id=cus_ayse');
    await page.waitForFunction(() => document.getElementById('f-customer').value === 'Ayşe Yılmaz');
    // clearing the name drops the filter
    await box.fill('');
    await page.locator('#count', {hasText: '3 items'}).waitFor();
    assert.equal(new URL(page.url()).search, '');
  });

  test('screenshots at 1280 and 390 px', async () => {
    await openRenewals(page);
    await page.screenshot({path: shotPath('renewals-1280.png'), fullPage: true});
    await page.setViewportSize({width: 390, height: 844});
    await openRenewals(page);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `no sideways scrolling on a phone (${w} px)`);
    await page.screenshot({path: shotPath('renewals-390.png'), fullPage: true});
    await page.setViewportSize({width: 1280, height: 800});
  });

  test('pages through more than 100 items with "More items"', async () => {
    for (let i = 0; i < 100; i++)
      await server.ok('PUT', `/ops/customers/cus_bob/renewals/ren_more${String(i).padStart(3, '0')}`,
                      {kind: 'visa', expires_on: addDays(today, 500 + i)});
    await openRenewals(page);
    assert.equal(await page.locator('#count').innerText(), '100 items shown');
    await page.getByRole('button', {name: 'More items'}).click();
    await page.locator('#count', {hasText: '103 items'}).waitFor();
    assert.equal(await page.getByRole('button', {name: 'More items'}).isHidden(), true);
    assert.equal(await page.locator('#rows tr.item').last().locator('.sub').innerText(), 'ren_more099');
  });
});
