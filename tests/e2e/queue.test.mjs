// queue.test.mjs: the /tasks page in a real browser (Debian's Chromium via
// playwright-core) against the real binary: sign-in, the default view, dense
// rows, each filter (status, priority, assignee, customer picker, SLA,
// source), search, sorts, the views tabs and their counts, saved views, the
// keyboard, Take/Start/Undo, selection and the bulk bar with a refused task,
// rows leaving the view, the time format, the new-task form with pickers,
// the live refresh on `ops:changes` (a 304 when nothing changed), an XSS title, the CSRF refusal, load
// more, the 30-second poll; screenshots at 1280 and 390 px wide (a task's
// page is task.test.mjs).
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {Server, addDays, launch, signedIn, watched, shotPath} from './harness.mjs';

let server, browser, today, anna, ids = {};

const rowsOf = (page) => page.locator('#rows tr.task');
const titles = async (page) => rowsOf(page).locator('.title-link').allTextContents();
const statuses = async (page) => rowsOf(page).locator('.c-status .badge').allTextContents();

async function openQueue(page, query) {
  await page.goto('/tasks' + (query || '?status=OPEN'));
  await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
  // staff names loaded (the line itself is hidden on phones)
  await page.waitForFunction(() => document.getElementById('whoami').textContent.startsWith('Signed in as'));
}

async function noProblems(page) {
  assert.deepEqual(page.problems, [], 'no script errors, CSP refusals or dialogs');
}

before(async () => {
  server = await new Server().start();
  browser = await launch();
  today = (await server.ok('GET', '/ops/me')).today;
  await server.ok('PUT', '/ops/staff/sta_anna', {name: 'Anna Staff'});
  await server.ok('PUT', '/ops/staff/sta_ben', {name: 'Ben Worker'});
  await server.ok('PUT', '/ops/staff/sta_bulk', {name: 'Bulk Person'});
  await server.ok('PUT', '/ops/customers/cus_one', {name: 'Customer One'});
  anna = server.token('agent', 'sta_anna');
  const t = async (key, f) => { ids[key] = (await server.task(f)).id; };
  await t('chase', {title: 'Chase bank statement', priority: 'HIGH', due_date: addDays(today, 2),
                    assignee_id: 'sta_anna', user_id: 'cus_one', sla_hours: 24});
  await t('renew', {title: 'Renew permit card', priority: 'URGENT', due_date: addDays(today, 5)});
  await t('archive', {title: 'File the archive', priority: 'LOW', due_date: addDays(today, 10), assignee_id: 'sta_ben'});
  await t('passport', {title: 'Copy of passport missing', priority: 'MEDIUM', due_date: addDays(today, -3),
                       assignee_id: 'sta_anna', user_id: 'cus_one'});
  await t('visa', {title: 'Visa appointment slipped', priority: 'URGENT', due_date: addDays(today, -1)});
  await t('progress', {title: 'Translate birth certificate', priority: 'MEDIUM', due_date: addDays(today, 3),
                       assignee_id: 'sta_ben', description: 'Line one\nLine two'});
  await server.ok('PATCH', '/ops/tasks/' + ids.progress, {status: 'IN_PROGRESS'});
  await t('done', {title: 'Already done', due_date: addDays(today, 1)});
  await server.ok('PATCH', '/ops/tasks/' + ids.done, {status: 'COMPLETED'});
  await t('gone', {title: 'Called off', due_date: addDays(today, 1)});
  await server.ok('PATCH', '/ops/tasks/' + ids.gone, {status: 'CANCELLED'});
  for (let i = 0; i < 55; i++)
    await server.task({title: `Bulk task ${String(i).padStart(2, '0')}`, priority: 'LOW', due_date: '2039-03-01',
                       assignee_id: 'sta_bulk'});
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('sign-in', () => {
  test('a signed-out visit goes to /login and comes back to the same view after', async () => {
    const context = await browser.newContext({baseURL: server.url});
    const page = await watched(context);
    await page.goto('/tasks?status=OVERDUE&sort=priority');
    assert.match(page.url(), /\/login\?next=/);
    // email and password first; the token form is behind a link
    await page.getByRole('button', {name: 'Sign in with an API token'}).click();
    await page.getByLabel('API token').fill('ops_not_a_token');
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await page.locator('#token-error').filter({hasText: 'not valid'}).waitFor();
    assert.equal(await page.getByLabel('API token').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('API token').fill(anna);
    await page.getByRole('button', {name: 'Sign in', exact: true}).click();
    await page.waitForURL(/\/tasks\?status=OVERDUE&sort=priority$/);
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    assert.deepEqual(await statuses(page), ['⚠Overdue', '⚠Overdue']);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'opstasks_session');
    assert.ok(session.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('opstasks_session')), false);
    await page.screenshot({path: shotPath('login-done-1280.png')});
    // signing out ends the session: /tasks sends us to /login again
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.waitForURL(/\/login$/);
    await page.goto('/tasks');
    assert.match(page.url(), /\/login\?next=%2Ftasks|\/login\?next=\/tasks/);
    await noProblems(page);
    await context.close();
  });
});

test('sign-in goes back only to a path on this server', async () => {
  const context = await browser.newContext({baseURL: server.url});
  const page = await watched(context);
  await page.goto('/login?next=' + encodeURIComponent('//evil.test/tasks') + '#token');
  await page.getByLabel('API token').fill(anna);
  await page.getByRole('button', {name: 'Sign in', exact: true}).click();
  await page.waitForURL(server.url + '/tasks');
  await noProblems(page);
  await context.close();
});

describe('the queue', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna)));
  after(async () => { await noProblems(page); await context.close(); });

  test('the default view is OPEN tasks sorted by due date', async () => {
    await openQueue(page);
    const s = await statuses(page);
    assert.ok(s.length >= 4 && s.every((x) => x === 'Open'), s.join());
    const got = await titles(page);
    assert.deepEqual(got.slice(0, 3), ['Chase bank statement', 'Renew permit card', 'File the archive']);
    const dues = await rowsOf(page).locator('.c-due time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
    assert.deepEqual(dues, [...dues].sort(), 'due dates ascend');
    assert.equal(await page.locator('#f-status').inputValue(), 'OPEN');
    assert.equal(await page.locator('#f-sort').inputValue(), 'due_date');
    const chase = rowsOf(page).filter({hasText: 'Chase bank statement'});
    await chase.locator('.c-due').filter({hasText: 'in 2 d'}).waitFor();
    await chase.locator('.c-customer').filter({hasText: 'Customer One'}).waitFor();
    await chase.locator('.c-assignee').filter({hasText: 'Anna Staff'}).waitFor();
    assert.match(await chase.locator('.c-sla').textContent(), /^(23 h \d+ min|1 d) left$/);
    // the customer's name links to their page; far-off due dates read as dates
    assert.equal(await chase.locator('.c-customer a').getAttribute('href'), '/customers/cus_one');
    await openQueue(page, '?assignee_id=sta_bulk');
    assert.equal(await rowsOf(page).first().locator('.c-due').textContent(), '1 Mar 2039');
  });

  test('every control is labelled for screen readers and reachable by keyboard', async () => {
    await openQueue(page);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((n) => !n.closest('[hidden]') && !n.closest('dialog:not([open])'))
      .filter((n) => !(n.labels && n.labels.length) && !n.getAttribute('aria-label') && !n.textContent.trim())
      .map((n) => n.outerHTML));
    assert.deepEqual(unlabelled, []);
    assert.equal(await rowsOf(page).filter({hasText: 'Renew permit card'}).locator('input[type=checkbox]').getAttribute('aria-label'),
                 'Select Renew permit card');
    assert.equal(await page.getByLabel('Select all on this page').count(), 1);
    // Tab from the top: the skip link first, then into the list
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to the task list');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Select all on this page');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Select Chase bank statement');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'title-link');
    // focus is visible
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(outline, 'solid');
  });

  test('dense rows: 15 or more on a 1280x800 screen, titles cut with the whole on hover, a sticky header', async () => {
    const ctx = await browser.newContext({baseURL: server.url, viewport: {width: 1280, height: 800}});
    await ctx.addCookies(await context.cookies());
    const p = await watched(ctx);
    const long = 'Collect the notarised copies of every page of the lease agreement and the landlord letter ' + 'x'.repeat(60);
    await server.task({title: long, due_date: addDays(today, 1)});
    await openQueue(p, '?assignee_id=sta_bulk');
    const visible = await p.evaluate(() => [...document.querySelectorAll('#rows tr.task')]
      .filter((r) => r.getBoundingClientRect().bottom <= innerHeight).length);
    assert.ok(visible >= 15, `${visible} rows visible`);
    await openQueue(p);
    const cell = rowsOf(p).filter({hasText: 'Collect the notarised'}).locator('.c-title');
    assert.ok(await cell.evaluate((td) => td.scrollWidth > td.clientWidth), 'the title is cut');
    assert.equal(await cell.evaluate((td) => getComputedStyle(td).textOverflow), 'ellipsis');
    assert.equal(await cell.locator('a').getAttribute('title'), long);
    // one line per row
    const h = await rowsOf(p).first().evaluate((r) => r.getBoundingClientRect().height);
    assert.ok(h < 36, `row height ${h}`);
    // actions appear on the hovered or focused row only
    const row = rowsOf(p).filter({hasText: 'Renew permit card'});
    const opacity = () => row.locator('.actions').evaluate((a) => getComputedStyle(a).opacity);
    await p.mouse.move(5, 5);
    assert.equal(await opacity(), '0');
    await row.locator('.c-prio').hover();
    assert.equal(await opacity(), '1');
    await p.mouse.move(5, 5);
    await row.locator('.title-link').focus();
    assert.equal(await opacity(), '1');
    await openQueue(p, '?assignee_id=sta_bulk');
    await p.mouse.wheel(0, 600);
    await p.waitForFunction(() => scrollY > 300);
    const top = await p.locator('#queue thead th').first().evaluate((th) => th.getBoundingClientRect().top);
    assert.ok(Math.abs(top) < 2, `the header sticks (top ${top})`);
    await noProblems(p);
    await ctx.close();
  });

  test('status filter: a choice or a list, in the URL, survives a reload', async () => {
    await openQueue(page);
    await page.locator('#f-status').selectOption({label: 'Active'});
    await page.waitForURL(/status=OPEN,IN_PROGRESS,OVERDUE/);
    await rowsOf(page).filter({hasText: 'Translate birth certificate'}).waitFor();
    await openQueue(page, '?status=IN_PROGRESS,OVERDUE');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 3);
    assert.deepEqual((await statuses(page)).sort(), ['In progress', '⚠Overdue', '⚠Overdue']);
    await page.reload();
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    assert.equal(await rowsOf(page).count(), 3);
    assert.equal(await page.locator('#f-status option:checked').textContent(), 'In progress, Overdue');
    await openQueue(page, '?status=COMPLETED,CANCELLED');
    assert.deepEqual((await titles(page)).sort(), ['Already done', 'Called off']);
  });

  test('priority filter, and the stats bar counts under it', async () => {
    await openQueue(page, '?status=all');
    await page.locator('#f-priority').selectOption('URGENT');
    await page.waitForURL(/priority=URGENT/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    assert.deepEqual((await titles(page)).sort(), ['Renew permit card', 'Visa appointment slipped']);
    await page.locator('.stat[data-status=OVERDUE] .stat-count').filter({hasText: /^1$/}).waitFor();
    assert.equal(await page.locator('.stat[data-status=OPEN] .stat-count').textContent(), '1');
  });

  test('assignee filter: me, unassigned, a named person', async () => {
    await openQueue(page, '?status=all');
    await page.locator('#f-assignee').selectOption('me');
    await page.waitForURL(/assignee_id=me/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    assert.deepEqual((await titles(page)).sort(), ['Chase bank statement', 'Copy of passport missing']);
    await page.locator('#f-assignee').selectOption('none');
    await page.waitForURL(/assignee_id=none/);
    await page.waitForFunction(() => [...document.querySelectorAll('#rows .c-assignee')].every((td) => td.textContent === 'Unassigned'));
    assert.ok((await titles(page)).includes('Visa appointment slipped'));
    await page.locator('#f-assignee').selectOption({label: 'Ben Worker'});
    await page.waitForURL(/assignee_id=sta_ben/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    assert.deepEqual((await titles(page)).sort(), ['File the archive', 'Translate birth certificate']);
    await page.reload();
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    await page.waitForFunction(() => document.getElementById('whoami').textContent.startsWith('Signed in as'));
    assert.equal(await page.locator('#f-assignee option:checked').textContent(), 'Ben Worker');
    assert.equal(await page.locator('#f-assignee option[value=sta_ben]').count(), 1);
  });

  test('sort by priority and by SLA deadline', async () => {
    await openQueue(page, '?status=OPEN,OVERDUE');
    await page.locator('#f-sort').selectOption('priority');
    await page.waitForURL(/sort=priority/);
    await page.waitForFunction(() => document.querySelector('#rows .title-link')?.textContent === 'Visa appointment slipped');
    const prios = await rowsOf(page).locator('.c-prio .badge').allTextContents();
    const rank = {'‼Urgent': 0, High: 1, Medium: 2, Low: 3};
    const ranks = prios.map((p) => rank[p]);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), prios.join());
    await page.locator('#f-sort').selectOption({label: 'SLA deadline'});
    await page.waitForURL(/sort=sla_due_at/);
    await page.waitForFunction(() => document.querySelector('#rows .title-link')?.textContent === 'Chase bank statement');
  });

  test('the customer filter picks a customer by name, with the keyboard', async () => {
    await openQueue(page, '?status=all');
    const input = page.getByRole('combobox', {name: 'Customer'});
    await input.fill('cust');
    const opt = page.locator('#f-customer-list').getByRole('option', {name: 'Customer One'});
    await opt.waitFor();
    assert.equal(await input.getAttribute('aria-expanded'), 'true');
    assert.equal(await input.getAttribute('aria-activedescendant'), await opt.getAttribute('id'));
    await input.press('ArrowDown');
    await input.press('Enter');
    await page.waitForURL(/user_id=cus_one/);
    assert.equal(await input.getAttribute('aria-expanded'), 'false');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    assert.deepEqual((await titles(page)).sort(), ['Chase bank statement', 'Copy of passport missing']);
    await page.reload();
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    await page.waitForFunction(() => document.getElementById('f-customer').value === 'Customer One');
    // Escape closes the list; clearing the field clears the filter
    await input.fill('zzz');
    await page.waitForURL((u) => !u.search.includes('user_id'));
    await input.fill('');
  });

  test('SLA and source filters; "past their SLA" in the stats bar links to them', async () => {
    const late = await server.task({title: 'Breached right away', due_date: addDays(today, 4), sla_hours: 0.0003});
    await new Promise((r) => setTimeout(r, 1200));
    await openQueue(page, `?status=OPEN,IN_PROGRESS,OVERDUE`);
    const link = page.getByRole('link', {name: /past their SLA/});
    await link.waitFor();
    assert.match(await link.textContent(), /^1 past their SLA$/);
    await link.click();
    await page.waitForURL(/sla_state=breached/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 1);
    const row = rowsOf(page).first();
    assert.equal(await row.locator('.title-link').textContent(), 'Breached right away');
    assert.match(await row.locator('.c-sla').textContent(), /⚠ \d+ min overdue/);
    assert.equal(await page.locator('#f-sla').inputValue(), 'breached');
    await page.locator('#f-sla').selectOption('at_risk');
    await page.waitForURL(/sla_state=at_risk/);
    await page.locator('#empty').waitFor();
    await openQueue(page, '?status=all&source=RULE');
    await page.locator('#empty').waitFor();
    await page.locator('#f-source').selectOption('MANUAL');
    await page.waitForURL(/source=MANUAL/);
    await rowsOf(page).first().waitFor();
    await server.ok('PATCH', '/ops/tasks/' + late.id, {status: 'CANCELLED'});
  });

  test('search: / focuses it, results as one types, matches highlighted, combined with the filters, in the URL', async () => {
    await server.ok('POST', `/ops/tasks/${ids.archive}/comments`, {body: 'the shredder company wants a signature'});
    await openQueue(page, '?status=all');
    await page.locator('body').press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
    await page.keyboard.type('pass');
    await page.waitForURL(/q=pass/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 1);
    assert.equal(await rowsOf(page).first().locator('mark').textContent(), 'pass');
    assert.equal(await rowsOf(page).first().locator('.title-link').textContent(), 'Copy of passport missing');
    assert.equal(await page.locator('#f-sort').inputValue(), 'relevance');
    // a customer's name and a comment are searched too
    await page.locator('#q').fill('shredder');
    await page.waitForFunction(() => document.querySelector('#rows .title-link')?.textContent === 'File the archive' &&
                                     document.querySelectorAll('#rows tr.task').length === 1);
    await page.locator('#q').fill('customer one');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    assert.deepEqual(await rowsOf(page).first().locator('.c-customer mark').allTextContents(), ['Customer', 'One']);
    await page.locator('#f-status').selectOption('OVERDUE');
    await page.waitForURL(/status=OVERDUE&q=customer/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 1);
    await page.reload();
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    assert.equal(await page.locator('#q').inputValue(), 'customer one');
    assert.deepEqual(await titles(page), ['Copy of passport missing']);
    // Escape empties the box
    await page.locator('#q').press('Escape');
    await page.waitForURL((u) => !u.search.includes('q='));
  });

  test('overdue tasks are red with an icon and words; the overdue count is red and filters', async () => {
    await openQueue(page, '?status=OPEN,OVERDUE');
    const row = rowsOf(page).filter({hasText: 'Copy of passport missing'});
    assert.match(await row.getAttribute('class'), /is-overdue/);
    assert.equal(await row.locator('.c-status').textContent(), '⚠Overdue');
    assert.equal(await row.locator('.c-due').textContent(), '3 d overdue');
    const bg = await row.locator('td').nth(1).evaluate((td) => getComputedStyle(td).backgroundColor);
    assert.equal(bg, 'rgb(253, 236, 234)');
    const normal = rowsOf(page).filter({hasText: 'Chase bank statement'});
    assert.doesNotMatch(await normal.getAttribute('class'), /is-overdue/);
    const count = page.locator('.stat[data-status=OVERDUE]');
    assert.equal(await count.locator('.stat-count').textContent(), '2');
    assert.equal(await count.locator('.stat-count').evaluate((e) => getComputedStyle(e).color), 'rgb(180, 35, 24)');
    await count.click();
    await page.waitForURL(/status=OVERDUE$/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    assert.deepEqual(await statuses(page), ['⚠Overdue', '⚠Overdue']);
    assert.equal(await count.getAttribute('aria-pressed'), 'true');
  });

  test('load more walks the cursor', async () => {
    await openQueue(page, '?assignee_id=sta_bulk');
    assert.equal(await rowsOf(page).count(), 50);
    const more = page.getByRole('button', {name: 'Load more'});
    await more.click();
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 55);
    assert.equal(await more.isHidden(), true);
    const got = await titles(page);
    assert.equal(new Set(got).size, 55, 'no task twice');
    assert.equal(got[54], 'Bulk task 54');
  });

  test('one time format for time left, late and due dates', async () => {
    const got = await page.evaluate(() => {
      const now = Date.parse('2026-12-01T12:00:00Z'), H = 3600000;
      const sla = (ms, extra) => Ops.slaInfo(Object.assign({status: 'OPEN', sla_due_at: new Date(now + ms).toISOString()}, extra), now).text;
      const due = (d) => Ops.dueText({status: 'OPEN', due_date: d}, '2026-12-01');
      return [sla(51 * H), sla(5 * H + 10 * 60000), sla(12 * 60000), sla(-5 * 24 * H), sla(-3 * H),
              sla(400 * 24 * H), due('2026-12-01'), due('2026-12-02'), due('2026-12-04'), due('2026-11-29'),
              due('2031-03-12'), due('2026-01-01'),
              Ops.slaInfo({status: 'CANCELLED', sla_due_at: new Date(now + H).toISOString(), cancelled_at: new Date(now).toISOString()}, now).text,
              Ops.slaInfo({status: 'COMPLETED', sla_due_at: new Date(now + H).toISOString(), sla_breached: false}, now).text];
    });
    assert.deepEqual(got, ['2 d 3 h left', '5 h 10 min left', '12 min left', '5 d overdue', '3 h overdue',
                           got[5], 'due today', 'due tomorrow', 'in 3 d', '2 d overdue', '12 Mar 2031', '1 Jan 2026',
                           'Cancelled before its deadline', 'SLA met']);
    assert.match(got[5], /^SLA due \d+ \w+ 2028$/, 'far off: the date, not "in 400 d"');
  });

  test('the page opens on the last view', async () => {
    await openQueue(page, '?status=OVERDUE&sort=priority');
    await page.goto('/tasks');
    await page.waitForURL(/\/tasks\?status=OVERDUE&sort=priority$/);
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    assert.deepEqual(await statuses(page), ['⚠Overdue', '⚠Overdue']);
  });
});

describe('views', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna)));
  after(async () => { await noProblems(page); await context.close(); });

  test('built-in views are tabs with live counts', async () => {
    await openQueue(page);
    const tab = (name) => page.getByRole('navigation', {name: 'Views'}).getByRole('link', {name: new RegExp('^' + name + ' \\d+$')});
    await tab('My work').waitFor();
    const {data} = await server.ok('GET', '/ops/tasks?status=OPEN,IN_PROGRESS,OVERDUE&assignee_id=sta_anna&limit=500');
    assert.equal(await tab('My work').locator('.view-count').textContent(), String(data.length));
    const overdue = (await server.ok('GET', '/ops/tasks?status=OVERDUE&limit=500')).data.length;
    assert.equal(await tab('Overdue').locator('.view-count').textContent(), String(overdue));
    for (const n of ['All active', 'Unassigned', 'SLA at risk or breached', 'Done today']) await tab(n).waitFor();
    await tab('Overdue').click();
    await page.waitForURL(/\/tasks\?status=OVERDUE$/);
    assert.equal(await tab('Overdue').getAttribute('aria-current'), 'page');
    await page.locator('#queue-caption').filter({hasText: /^Tasks: Overdue$/}).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('#rows tr.task').length === n, overdue);
    await tab('My work').click();
    await page.waitForURL(/assignee_id=me/);
    await page.locator('#queue-caption').filter({hasText: /^Tasks: My work$/}).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('#rows tr.task').length === n, data.length);
    // completing a task changes the counts without a reload
    const t = await server.task({title: 'Done for the count', due_date: addDays(today, 2), assignee_id: 'sta_anna'});
    await page.getByRole('button', {name: 'Refresh now'}).click();
    await tab('My work').locator('.view-count').filter({hasText: String(data.length + 1)}).waitFor();
    await page.getByRole('button', {name: 'Complete: Done for the count'}).click();
    await tab('My work').locator('.view-count').filter({hasText: String(data.length)}).waitFor();
    const done = (await server.ok('GET', `/ops/tasks?status=COMPLETED&completed_from=${today}&completed_to=${today}&limit=500`)).data;
    assert.ok(done.some((x) => x.id === t.id));
    await tab('Done today').locator('.view-count').filter({hasText: new RegExp(`^${done.length}$`)}).waitFor();
    assert.equal((await server.get(t.id)).status, 'COMPLETED');
  });

  test('save the current filters as a personal or a shared view', async (t) => {
    const probe = await server.api('GET', '/ops/views');
    if (probe.status === 404) { t.skip('the server has no /ops/views yet'); return; }
    await openQueue(page, '?status=all&priority=URGENT');
    await page.getByRole('button', {name: 'Save view'}).click();
    const dlg = page.getByRole('dialog', {name: 'Save this view'});
    await dlg.getByRole('button', {name: 'Save view'}).click();
    await page.locator('#sv-name-error').filter({hasText: 'name'}).waitFor();
    await dlg.getByLabel('Name').fill('Urgent everything');
    await dlg.getByLabel('Shared with the team').check();
    await dlg.getByRole('button', {name: 'Save view'}).click();
    await dlg.waitFor({state: 'hidden'});
    const tab = page.getByRole('link', {name: /^Urgent everything \d+$/});
    await tab.waitFor();
    assert.equal(await tab.getAttribute('aria-current'), 'page');
    assert.equal(await tab.locator('.view-count').textContent(), '2');
    // a colleague sees the shared view
    const ben = server.token('agent', 'sta_ben');
    const other = await signedIn(browser, server, ben);
    await openQueue(other.page);
    await other.page.getByRole('link', {name: /^Urgent everything 2$/}).click();
    await other.page.waitForURL(/priority=URGENT/);
    await other.page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    await noProblems(other.page);
    await other.context.close();
    // a personal one, then deleted
    await openQueue(page, '?status=OPEN&assignee_id=sta_ben');
    await page.getByRole('button', {name: 'Save view'}).click();
    await dlg.getByLabel('Name').fill('Ben open');
    await dlg.getByRole('button', {name: 'Save view'}).click();
    await page.getByRole('link', {name: /^Ben open \d+$/}).waitFor();
    await page.getByRole('button', {name: 'Delete view'}).click();
    await page.getByRole('dialog', {name: 'Delete this view?'}).getByRole('button', {name: 'Delete view'}).click();
    await page.getByRole('link', {name: /^Ben open \d+$/}).waitFor({state: 'detached'});
  });
});

describe('doing work', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna)));
  after(async () => { await noProblems(page); await context.close(); });

  test('the keyboard: j/k move, x selects, s starts, a assigns to me, e edits, c completes, Enter opens, ? helps, n new', async () => {
    const a = await server.task({title: 'Keyboard one', due_date: addDays(today, 1), priority: 'URGENT'});
    const b = await server.task({title: 'Keyboard two', due_date: addDays(today, 1), priority: 'URGENT'});
    await openQueue(page, '?status=OPEN,IN_PROGRESS&q=keyboard&sort=priority');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    await page.locator('body').press('j');
    const focusedTitle = () => page.evaluate(() => document.activeElement.closest('tr')?.querySelector('.title-link').textContent);
    const first = await focusedTitle();
    await page.keyboard.press('j');
    const second = await focusedTitle();
    assert.notEqual(first, second);
    await page.keyboard.press('k');
    assert.equal(await focusedTitle(), first);
    await page.keyboard.press('x');
    await page.locator('#bulk-count').filter({hasText: '1 task selected'}).waitFor();
    assert.equal(await rowsOf(page).filter({hasText: first}).locator('input[type=checkbox]').isChecked(), true);
    await page.keyboard.press('x');
    await page.locator('#bulk').waitFor({state: 'hidden'});
    const byTitle = {'Keyboard one': a.id, 'Keyboard two': b.id};
    await page.keyboard.press('s');
    await rowsOf(page).filter({hasText: first}).locator('.c-status').filter({hasText: 'In progress'}).waitFor();
    assert.equal(await focusedTitle(), first, 'focus stays on the row');
    await page.keyboard.press('a');
    await rowsOf(page).filter({hasText: first}).locator('.c-assignee').filter({hasText: 'Anna Staff'}).waitFor();
    assert.equal((await server.get(byTitle[first])).assignee_id, 'sta_anna');
    await page.keyboard.press('e');
    const form = page.getByRole('form', {name: 'Edit ' + first});
    await form.waitFor();
    await page.keyboard.press('Escape');
    await form.waitFor({state: 'detached'});
    await page.keyboard.press('c');
    await rowsOf(page).filter({hasText: first}).waitFor({state: 'detached'});
    assert.equal((await server.get(byTitle[first])).status, 'COMPLETED');
    await page.locator('#notice').filter({hasText: `“${first}” completed`}).waitFor();
    // focus moved on to the remaining row
    assert.equal(await focusedTitle(), second);
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', {name: 'Keyboard shortcuts'});
    await help.waitFor();
    assert.match(await help.textContent(), /assign it to me/);
    await page.keyboard.press('Escape');
    await help.waitFor({state: 'hidden'});
    await page.locator('body').press('n');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'nt-title');
    await page.keyboard.press('Escape');
    await page.locator('#new-task').waitFor({state: 'hidden'});
    await page.locator('body').press('j');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp('/tasks/' + byTitle[second]));
    // the task page leads back to the same view
    await page.locator('#back[href*="q=keyboard"]').waitFor();
  });

  test('Take on unassigned rows; Start on overdue rows; "Overdue · in progress"', async () => {
    await server.task({title: 'Nobody has this', due_date: addDays(today, 2)});
    const late = await server.task({title: 'Late and not started', due_date: addDays(today, -2), assignee_id: 'sta_anna'});
    await openQueue(page, '?status=OPEN,IN_PROGRESS,OVERDUE');
    const mine = rowsOf(page).filter({hasText: 'Late and not started'});
    assert.equal(await mine.getByRole('button', {name: /^Take/}).count(), 0, 'no Take on an assigned row');
    await page.getByRole('button', {name: 'Take: Nobody has this'}).click();
    const taken = rowsOf(page).filter({hasText: 'Nobody has this'});
    await taken.locator('.c-assignee').filter({hasText: 'Anna Staff'}).waitFor();
    assert.equal(await taken.getByRole('button', {name: /^Take/}).count(), 0);
    await page.getByRole('button', {name: 'Start: Late and not started'}).click();
    await mine.locator('.c-status').filter({hasText: 'Overdue · in progress'}).waitFor();
    const t = await server.get(late.id);
    assert.deepEqual([t.status, t.work_status], ['OVERDUE', 'IN_PROGRESS']);
    assert.equal(await mine.getByRole('button', {name: /^Start/}).count(), 0);
  });

  test('complete and cancel answer with Undo for 10 seconds, which reopens the task', async () => {
    const t = await server.task({title: 'Undo me', due_date: addDays(today, 1)});
    await server.ok('PATCH', '/ops/tasks/' + t.id, {status: 'IN_PROGRESS'});
    await openQueue(page, '?status=OPEN,IN_PROGRESS');
    await page.getByRole('button', {name: 'Complete: Undo me'}).click();
    await rowsOf(page).filter({hasText: 'Undo me'}).waitFor({state: 'detached'});
    const notice = page.locator('#notice');
    await notice.filter({hasText: '“Undo me” completed'}).waitFor();
    assert.equal((await server.get(t.id)).status, 'COMPLETED');
    await notice.getByRole('button', {name: 'Undo'}).focus();
    await page.keyboard.press('Enter');
    await rowsOf(page).filter({hasText: 'Undo me'}).waitFor();
    await page.waitForFunction(() => document.activeElement.textContent === 'Undo me', null, {timeout: 2000});
    assert.equal((await server.get(t.id)).status, 'IN_PROGRESS', 'back to the work status it had');
    await page.getByRole('button', {name: 'Cancel: Undo me'}).click();
    await notice.filter({hasText: '“Undo me” cancelled'}).waitFor();
    assert.equal((await server.get(t.id)).status, 'CANCELLED');
    // the toast goes after 10 seconds
    const ctx = await browser.newContext({baseURL: server.url});
    await ctx.addCookies(await context.cookies());
    const p = await watched(ctx);
    await p.clock.install();
    await openQueue(p, '?status=CANCELLED');
    await p.getByRole('button', {name: 'Reopen: Undo me'}).click();
    await p.locator('#toast').filter({hasText: 'reopened'}).waitFor();
    await openQueue(p, '?status=OPEN');
    await p.getByRole('button', {name: 'Complete: Undo me'}).click();
    await p.locator('#notice').filter({hasText: 'completed'}).waitFor();
    await p.clock.fastForward(9000);
    assert.equal(await p.locator('#notice').isVisible(), true);
    await p.clock.fastForward(1500);
    await p.locator('#notice').waitFor({state: 'hidden'});
    await noProblems(p);
    await ctx.close();
  });

  test('reassigning a task out of the view removes its row', async () => {
    const t = await server.task({title: 'Hand this to Ben', due_date: addDays(today, 4), priority: 'LOW', assignee_id: 'sta_anna'});
    await openQueue(page, '?status=OPEN,IN_PROGRESS,OVERDUE&assignee_id=me');
    await page.getByRole('button', {name: 'Edit: Hand this to Ben'}).click();
    const form = page.getByRole('form', {name: 'Edit Hand this to Ben'});
    await form.getByLabel('Assignee').selectOption({label: 'Ben Worker'});
    await form.getByLabel('Priority').selectOption('URGENT');
    await form.getByRole('button', {name: 'Save'}).click();
    await rowsOf(page).filter({hasText: 'Hand this to Ben'}).waitFor({state: 'detached'});
    const got = await server.get(t.id);
    assert.deepEqual([got.assignee_id, got.priority], ['sta_ben', 'URGENT']);
  });

  test('selection and the bulk bar: assign, then complete with a refused task and why', async () => {
    const made = [];
    for (const n of ['Bulk A', 'Bulk B', 'Bulk C']) made.push(await server.task({title: n, due_date: addDays(today, 8)}));
    await openQueue(page, '?status=OPEN,IN_PROGRESS&priority=MEDIUM');
    for (const n of ['Bulk A', 'Bulk B', 'Bulk C']) await page.getByRole('checkbox', {name: 'Select ' + n}).check();
    const bar = page.getByRole('region', {name: 'Bulk actions'});
    await bar.locator('#bulk-count').filter({hasText: '3 tasks selected'}).waitFor();
    await bar.getByLabel('Assign the selected tasks to').selectOption({label: 'Ben Worker'});
    await bar.getByRole('button', {name: 'Assign', exact: true}).click();
    await bar.locator('#bulk-result').filter({hasText: 'Assign: 3 tasks changed.'}).waitFor();
    for (const m of made) assert.equal((await server.get(m.id)).assignee_id, 'sta_ben');
    // someone else changes Bulk B meanwhile: its pinned version no longer
    // holds. Made between the page's last look and its bulk request (the
    // request waits for it), so the live refresh cannot show it first
    for (const n of ['Bulk A', 'Bulk B', 'Bulk C']) await page.getByRole('checkbox', {name: 'Select ' + n}).check();
    let meanwhile = true;
    const changeFirst = async (route) => {
      if (meanwhile) {
        meanwhile = false;
        await server.ok('PATCH', '/ops/tasks/' + made[1].id, {priority: 'MEDIUM', description: 'changed meanwhile'});
      }
      await route.continue();
    };
    await page.route('**/ops/tasks/bulk', changeFirst);
    await bar.getByRole('button', {name: 'Complete'}).click();
    await bar.locator('#bulk-result').filter({hasText: 'Complete: 2 tasks changed, 1 refused:'}).waitFor();
    assert.match(await bar.locator('.refused').textContent(), /^Bulk B: Someone else changed this task meanwhile/);
    assert.equal(await bar.locator('#bulk-count').textContent(), '1 task selected', 'the refused task stays selected');
    await page.unroute('**/ops/tasks/bulk', changeFirst);
    assert.deepEqual([(await server.get(made[0].id)).status, (await server.get(made[1].id)).status], ['COMPLETED', 'OPEN']);
    await rowsOf(page).filter({hasText: 'Bulk A'}).waitFor({state: 'detached'});
    await page.setViewportSize({width: 1280, height: 800});
    await page.screenshot({path: shotPath('queue-bulk-1280.png')});
    // on a phone: the page as it opens there, two tasks ticked
    await page.setViewportSize({width: 390, height: 844});
    await page.reload();
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    for (const n of ['Bulk B', 'Translate birth certificate']) await page.getByRole('checkbox', {name: 'Select ' + n}).check();
    await bar.locator('#bulk-count').filter({hasText: '2 tasks selected'}).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling with the bulk bar (overflow ${overflow})`);
    await page.screenshot({path: shotPath('queue-bulk-390.png')});
    await bar.getByRole('button', {name: 'Clear selection'}).click();
    await page.setViewportSize({width: 1280, height: 900});
    // select all on this page, then clear
    await page.getByLabel('Select all on this page').check();
    const n = await rowsOf(page).count();
    await bar.locator('#bulk-count').filter({hasText: `${n} task`}).waitFor();
    await bar.getByRole('button', {name: 'Clear selection'}).click();
    assert.equal(await page.locator('#rows input[type=checkbox]:checked').count(), 0);
    // undo of the bulk completion is offered
    await page.getByRole('checkbox', {name: 'Select Bulk B'}).check();
    await bar.getByRole('button', {name: 'Complete'}).click();
    await page.locator('#notice').filter({hasText: '1 task completed'}).getByRole('button', {name: 'Undo'}).click();
    await page.locator('#toast').filter({hasText: '1 task reopened'}).waitFor();
    assert.equal((await server.get(made[1].id)).status, 'OPEN');
  });

  test('the new-task form picks customer and assignee by name, says what is wrong with a date, links to the task', async () => {
    await openQueue(page);
    await page.getByRole('button', {name: 'New task'}).click();
    const form = page.locator('#new-form');
    const title = form.getByLabel('Title', {exact: true});
    assert.equal(await title.getAttribute('maxlength'), '200');
    await title.fill('Collect signed contract');
    const due = form.getByLabel('Due date', {exact: true});
    await due.click();
    await page.keyboard.type('0312');  // day and month, no year
    await form.getByRole('button', {name: 'Create task'}).click();
    await page.locator('#nt-due-error').filter({hasText: 'incomplete'}).waitFor();
    await due.fill('1900-01-01');
    await form.getByRole('button', {name: 'Create task'}).click();
    await page.locator('#nt-due-error').filter({hasText: /out of range: the due date must lie between 1 Jan 2000 and/}).waitFor();
    await due.fill(addDays(today, 7));
    const cust = form.getByRole('combobox', {name: 'Customer'});
    await cust.fill('nobody at all');
    await page.locator('#new-form .picker-note.is-empty').filter({hasText: 'No match'}).waitFor();
    await form.getByRole('button', {name: 'Create task'}).click();
    await page.locator('#nt-customer-error').filter({hasText: 'Pick a customer from the list'}).waitFor();
    await cust.fill('One');
    await page.locator('#nt-customer-list').getByRole('option', {name: 'Customer One'}).click();
    const who = form.getByRole('combobox', {name: 'Assignee'});
    await who.fill('be');
    await page.locator('#nt-assignee-list').getByRole('option', {name: 'Ben Worker'}).waitFor();
    await who.press('Enter');
    assert.equal(await who.inputValue(), 'Ben Worker');
    await form.getByLabel('SLA hours', {exact: true}).fill('0');
    await form.getByRole('button', {name: 'Create task'}).click();
    await page.locator('#nt-sla-error').filter({hasText: 'above 0'}).waitFor();
    await page.screenshot({path: shotPath('new-task-error-1280.png'), fullPage: true});
    await form.getByLabel('SLA hours', {exact: true}).fill('48');
    await form.getByRole('button', {name: 'Create task'}).click();
    const notice = page.locator('#notice').filter({hasText: 'Task “Collect signed contract” created'});
    await notice.waitFor();
    await rowsOf(page).filter({hasText: 'Collect signed contract'}).waitFor();
    const {data} = await server.ok('GET', '/ops/tasks?limit=500');
    const made = data.find((x) => x.title === 'Collect signed contract');
    assert.deepEqual([made.user_id, made.assignee_id, made.sla_hours], ['cus_one', 'sta_ben', 48]);
    await notice.getByRole('link', {name: 'Open it'}).click();
    await page.waitForURL(new RegExp('/tasks/' + made.id));
  });

  test('a change by anyone (ops:changes) refreshes the list, keeping focus, selection and scroll, and says so', async () => {
    const ctx = await browser.newContext({baseURL: server.url, viewport: {width: 1280, height: 600}});
    await ctx.addCookies(await context.cookies());
    const p = await watched(ctx);
    await openQueue(p, '?assignee_id=sta_bulk');
    await p.getByRole('checkbox', {name: 'Select Bulk task 03'}).check();
    await p.mouse.wheel(0, 300);
    await p.waitForFunction(() => scrollY >= 250);
    const y = await p.evaluate(() => scrollY);
    await rowsOf(p).filter({hasText: 'Bulk task 12'}).locator('.title-link').focus();
    const y2 = await p.evaluate(() => scrollY);
    // someone else renames a task; live.js would announce it with this event
    const {data} = await server.ok('GET', '/ops/tasks?assignee_id=sta_bulk&limit=500');
    const t5 = data.find((x) => x.title === 'Bulk task 05');
    await server.ok('PATCH', '/ops/tasks/' + t5.id, {title: 'Bulk task 05 renamed'});
    await p.evaluate((id) => document.dispatchEvent(new CustomEvent('ops:changes',
      {detail: {changes: [{task_id: id, type: 'task.updated', version: 2}, {task_id: 'tsk_other', type: 'task.created', version: 1}]}})), t5.id);
    await rowsOf(p).filter({hasText: 'Bulk task 05 renamed'}).waitFor({timeout: 2000});
    await p.locator('#changed').filter({hasText: '2 tasks changed'}).waitFor();
    assert.equal(await p.evaluate(() => document.activeElement.textContent), 'Bulk task 12');
    assert.equal(await p.getByRole('checkbox', {name: 'Select Bulk task 03'}).isChecked(), true);
    assert.equal(await p.evaluate(() => scrollY), y2);
    assert.ok(y > 0);
    await noProblems(p);
    await ctx.close();
  });

  test('asked again with nothing changed, the queue and its counts come back as 304s and stay on screen', async () => {
    const ctx = await browser.newContext({baseURL: server.url, viewport: {width: 1280, height: 600}});
    await ctx.addCookies(await context.cookies());
    const p = await watched(ctx);
    await openQueue(p, '?assignee_id=sta_bulk');
    const before = await titles(p);
    const seen = [];
    p.on('response', (r) => { if (new URL(r.url()).pathname.startsWith('/ops/tasks')) seen.push(r.status()); });
    // an event about a task outside this view: the page asks again. A write
    // anywhere in between (a session's last-seen time) makes a 200: ask
    // again a few times
    for (let i = 0; i < 40 && !seen.includes(304); i++) {
      if (i % 8 === 0) await p.evaluate(() => document.dispatchEvent(new CustomEvent('ops:changes',
        {detail: {changes: [{task_id: 'tsk_elsewhere', type: 'task.updated', version: 3}]}})));
      await p.waitForTimeout(100);
    }
    assert.ok(seen.includes(304), 'a 304 among ' + JSON.stringify(seen));
    assert.ok(!seen.some((s) => s !== 304 && s !== 200), JSON.stringify(seen));
    assert.deepEqual(await titles(p), before);
    await noProblems(p);
    await ctx.close();
  });

  test('titles are isolated: right-to-left text does not reorder the row', async () => {
    await server.task({title: 'עברית first, then English', due_date: addDays(today, 1)});
    await openQueue(page);
    const link = rowsOf(page).locator('.title-link', {hasText: 'עברית'});
    assert.equal(await link.getAttribute('dir'), 'auto');
    assert.equal(await link.evaluate((a) => getComputedStyle(a).direction), 'rtl');
    assert.equal(await rowsOf(page).filter({hasText: 'Chase bank statement'}).locator('.c-customer bdi').count(), 1);
  });
});

describe('markup, the task page and the poll', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna)));
  after(async () => { await noProblems(page); await context.close(); });

  test('a title with markup is shown as text and runs nothing', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const t = await server.task({title: evil, due_date: addDays(today, 1), description: '<script>alert(2)</script>'});
    await openQueue(page);
    const link = rowsOf(page).locator('.title-link', {hasText: evil});
    assert.equal(await link.textContent(), evil);
    assert.equal(await page.locator('#rows img').count(), 0);
    await link.click();
    await page.waitForURL(/\/tasks\/tsk_/);
    await page.locator('h1', {hasText: evil}).waitFor();
    assert.equal(await page.locator('.description').textContent(), '<script>alert(2)</script>');
    assert.equal(await page.locator('main img, main script').count(), 0);
    assert.equal(await page.title(), `${evil} · opstasks`);
    assert.equal((await server.get(t.id)).title, evil);
  });

  test('the view refreshes itself every 30 seconds and says when', async () => {
    const ctx = await browser.newContext({baseURL: server.url});
    await ctx.addCookies(await context.cookies());
    const p = await watched(ctx);
    await p.clock.install();
    await openQueue(p);
    const stamp = await p.locator('#updated').textContent();
    await server.task({title: 'Arrived meanwhile', due_date: addDays(today, 1)});
    assert.equal(await rowsOf(p).filter({hasText: 'Arrived meanwhile'}).count(), 0);
    await p.clock.fastForward(31000);
    await rowsOf(p).filter({hasText: 'Arrived meanwhile'}).waitFor();
    assert.notEqual(await p.locator('#updated').textContent(), stamp);
    await noProblems(p);
    await ctx.close();
  });
});


describe('CSRF', () => {
  test('a state change with the cookie but without the CSRF token, or from another origin, is refused', async () => {
    const {context, page} = await signedIn(browser, server, anna);
    const t = await server.task({title: 'CSRF target', due_date: addDays(today, 1)});
    await openQueue(page);
    // the page's own origin without the token
    const noToken = await page.evaluate(async (id) => {
      const r = await fetch('/ops/tasks/' + id, {method: 'PATCH', headers: {'Content-Type': 'application/json'},
                                                 body: JSON.stringify({status: 'CANCELLED'})});
      return [r.status, (await r.json()).error.code];
    }, t.id);
    assert.deepEqual(noToken, [403, 'forbidden']);
    // with the token, from our origin: allowed (the same call the page makes)
    const withToken = await page.evaluate(async (id) => {
      const csrf = document.cookie.split('; ').find((c) => c.startsWith('opstasks_csrf=')).split('=')[1];
      const r = await fetch('/ops/tasks/' + id, {method: 'PATCH', headers: {'Content-Type': 'application/json',
                                                 'X-CSRF-Token': csrf}, body: JSON.stringify({priority: 'HIGH'})});
      return r.status;
    }, t.id);
    assert.equal(withToken, 200);
    // a page on another origin (another port of 127.0.0.1: same site, so the
    // SameSite=Strict cookie does go along) posts a form at the API
    const evil = http.createServer((req, res) => {
      res.writeHead(200, {'Content-Type': 'text/html'});
      res.end(`<!doctype html><form id=f method=post enctype="text/plain" action="${server.url}/ops/tasks">` +
              `<input name='{"title":"forged","due_date":"2039-01-01","x":"' value='"}'></form>` +
              `<form id=g method=post action="${server.url}/logout"></form>`);
    });
    await new Promise((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const evilUrl = `http://127.0.0.1:${evil.address().port}/`;
      const p2 = await context.newPage();
      await p2.goto(evilUrl);
      const [resp] = await Promise.all([p2.waitForNavigation(), p2.evaluate(() => document.getElementById('f').submit())]);
      assert.equal(resp.status(), 403);
      assert.match(await p2.textContent('body'), /CSRF/);
      await p2.goto(evilUrl);
      const [resp2] = await Promise.all([p2.waitForNavigation(), p2.evaluate(() => document.getElementById('g').submit())]);
      assert.equal(resp2.status(), 403, 'a forged sign-out is refused too');
      await p2.close();
    } finally {
      evil.close();
    }
    const {data} = await server.ok('GET', '/ops/tasks?status=all&limit=500');
    assert.equal(data.filter((x) => x.title.startsWith('forged')).length, 0);
    assert.equal((await server.get(t.id)).status, 'OPEN');
    // still signed in
    await openQueue(page);
    await context.close();
  });
});

describe('screenshots', () => {
  for (const width of [1280, 390]) {
    test(`the queue at ${width} px wide`, async () => {
      const {context, page} = await signedIn(browser, server, anna, {width, height: width > 600 ? 800 : 844});
      await openQueue(page, '?status=OPEN,IN_PROGRESS,OVERDUE');
      await rowsOf(page).filter({hasText: 'Customer One'}).first().waitFor();
      await page.locator('.view-count').first().filter({hasText: /\d/}).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no sideways scrolling at ${width} px (overflow ${overflow})`);
      await page.screenshot({path: shotPath(`queue-${width}.png`)});
      await page.screenshot({path: shotPath(`queue-${width}-full.png`), fullPage: true});
      await page.goto('/login');
      await page.screenshot({path: shotPath(`login-${width}.png`)});
      await noProblems(page);
      await context.close();
    });
  }
});
