// queue.test.mjs: the /tasks page in a real browser (Debian's Chromium via
// playwright-core) against the real binary: sign-in, the default view, each
// filter, the overdue highlight and count, actions from the queue, the
// new-task form's errors, an XSS title, the CSRF refusal, load more, the
// 30-second refresh; screenshots at 1280 and 390 px wide (a task's page is
// task.test.mjs).
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {Server, addDays, launch, signedIn, watched, shotPath} from './harness.mjs';

let server, browser, today, anna, ids = {};

const rowsOf = (page) => page.locator('#rows tr.task');
const titles = async (page) => rowsOf(page).locator('.title-link').allTextContents();
const statuses = async (page) => rowsOf(page).locator('.c-status .badge').allTextContents();

async function openQueue(page, query) {
  await page.goto('/tasks' + (query || ''));
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
    assert.equal(await page.locator('#f-status-OPEN').isChecked(), true);
    assert.equal(await page.locator('#f-status-OVERDUE').isChecked(), false);
    assert.equal(await page.locator('#f-sort').inputValue(), 'due_date');
    const chase = rowsOf(page).filter({hasText: 'Chase bank statement'});
    await chase.locator('.c-due').filter({hasText: 'in 2 days'}).waitFor();
    await chase.locator('.c-customer').filter({hasText: 'Customer One'}).waitFor();
    await chase.locator('.c-assignee').filter({hasText: 'Anna Staff'}).waitFor();
    assert.match(await chase.locator('.c-sla').textContent(), /left/);
  });

  test('every control is labelled for screen readers and reachable by keyboard', async () => {
    await openQueue(page);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((n) => !n.closest('[hidden]'))
      .filter((n) => !(n.labels && n.labels.length) && !n.getAttribute('aria-label') && !n.textContent.trim())
      .map((n) => n.outerHTML));
    assert.deepEqual(unlabelled, []);
    // Tab from the top: the skip link first, then on into the page
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to the task list');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'title-link');
  });

  test('status filter: several at once, in the URL, survives a reload', async () => {
    await openQueue(page);
    await page.locator('#f-status-OVERDUE').check();
    await page.locator('#f-status-IN_PROGRESS').check();
    await page.waitForURL(/status=OPEN,IN_PROGRESS,OVERDUE/);
    await rowsOf(page).filter({hasText: 'Translate birth certificate'}).waitFor();
    await page.locator('#f-status-OPEN').uncheck();
    await page.waitForURL(/status=IN_PROGRESS,OVERDUE$/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 3);
    assert.deepEqual((await statuses(page)).sort(), ['In progress', '⚠Overdue', '⚠Overdue']);
    await page.reload();
    await page.locator('#updated').filter({hasText: 'Updated at'}).waitFor();
    assert.equal(await rowsOf(page).count(), 3);
    assert.equal(await page.locator('#f-status-OVERDUE').isChecked(), true);
    assert.equal(await page.locator('#f-status-OPEN').isChecked(), false);
    await openQueue(page, '?status=COMPLETED,CANCELLED');
    assert.deepEqual((await titles(page)).sort(), ['Already done', 'Called off']);
  });

  test('priority filter', async () => {
    await openQueue(page, '?status=all');
    await page.locator('#f-priority-URGENT').check();
    await page.waitForURL(/priority=URGENT/);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr.task').length === 2);
    assert.deepEqual((await titles(page)).sort(), ['Renew permit card', 'Visa appointment slipped']);
    // the stats bar counts under the same filter
    assert.equal(await page.locator('.stat[data-status=OVERDUE] .stat-count').textContent(), '1');
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
  });

  test('sort by priority', async () => {
    await openQueue(page, '?status=OPEN,OVERDUE');
    await page.locator('#f-sort').selectOption('priority');
    await page.waitForURL(/sort=priority/);
    await page.waitForFunction(() => document.querySelector('#rows .title-link')?.textContent === 'Visa appointment slipped');
    const prios = await rowsOf(page).locator('.c-prio .badge').allTextContents();
    const rank = {'‼Urgent': 0, '!High': 1, Medium: 2, Low: 3};
    const ranks = prios.map((p) => rank[p]);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), prios.join());
  });

  test('overdue tasks are red with an icon and words; the overdue count is red and filters', async () => {
    await openQueue(page, '?status=OPEN,OVERDUE');
    const row = rowsOf(page).filter({hasText: 'Copy of passport missing'});
    assert.match(await row.getAttribute('class'), /is-overdue/);
    assert.equal(await row.locator('.c-status').textContent(), '⚠Overdue');
    assert.equal(await row.locator('.due-rel').textContent(), '3 days overdue');
    const bg = await row.locator('td').first().evaluate((td) => getComputedStyle(td).backgroundColor);
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
});

describe('actions from the queue', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna)));
  after(async () => { await noProblems(page); await context.close(); });

  test('complete a task from the queue, by keyboard', async () => {
    const t = await server.task({title: 'Complete me', due_date: addDays(today, 1)});
    await openQueue(page);
    const before = Number(await page.locator('.stat[data-status=COMPLETED] .stat-count').textContent());
    const button = page.getByRole('button', {name: 'Complete: Complete me'});
    await button.focus();
    await page.keyboard.press('Enter');
    await rowsOf(page).filter({hasText: 'Complete me'}).waitFor({state: 'detached'});
    assert.equal((await server.get(t.id)).status, 'COMPLETED');
    await page.locator('.stat[data-status=COMPLETED] .stat-count').filter({hasText: String(before + 1)}).waitFor();
    await page.locator('#toast').filter({hasText: 'completed'}).waitFor();
  });

  test('start, then cancel with a confirmation', async () => {
    const t = await server.task({title: 'Start then cancel', due_date: addDays(today, 1)});
    await openQueue(page, '?status=OPEN,IN_PROGRESS');
    await page.getByRole('button', {name: 'Start: Start then cancel'}).click();
    const row = rowsOf(page).filter({hasText: 'Start then cancel'});
    await row.locator('.c-status').filter({hasText: 'In progress'}).waitFor();
    await page.getByRole('button', {name: 'Cancel: Start then cancel'}).click();
    const dialog = page.getByRole('dialog', {name: 'Cancel this task?'});
    await dialog.waitFor();
    await page.keyboard.press('Escape');   // Escape keeps the task
    await dialog.waitFor({state: 'hidden'});
    assert.equal((await server.get(t.id)).status, 'IN_PROGRESS');
    await page.getByRole('button', {name: 'Cancel: Start then cancel'}).click();
    await dialog.getByRole('button', {name: 'Cancel task'}).click();
    await row.waitFor({state: 'detached'});
    assert.equal((await server.get(t.id)).status, 'CANCELLED');
  });

  test('reassign, change priority and due date inline', async () => {
    const t = await server.task({title: 'Edit me inline', due_date: addDays(today, 4), priority: 'LOW'});
    await openQueue(page);
    await page.getByRole('button', {name: 'Edit assignee, priority or due date: Edit me inline'}).click();
    const form = page.getByRole('form', {name: 'Edit Edit me inline'});
    await form.getByLabel('Assignee').selectOption({label: 'Ben Worker'});
    await form.getByLabel('Priority').selectOption('URGENT');
    await form.getByLabel('Due date').fill(addDays(today, 6));
    await form.getByRole('button', {name: 'Save'}).click();
    await form.waitFor({state: 'detached'});
    const got = await server.get(t.id);
    assert.deepEqual([got.assignee_id, got.priority, got.due_date], ['sta_ben', 'URGENT', addDays(today, 6)]);
    const row = rowsOf(page).filter({hasText: 'Edit me inline'});
    await row.locator('.c-assignee').filter({hasText: 'Ben Worker'}).waitFor();
    assert.equal(await row.locator('.c-prio').textContent(), '‼Urgent');
  });

  test('the new-task form shows the API error next to the field it names', async () => {
    await openQueue(page);
    await page.getByRole('button', {name: 'New task'}).click();
    const form = page.locator('#new-form');
    await form.getByLabel('Title', {exact: true}).fill('Collect signed contract');
    await form.getByLabel('Due date', {exact: true}).fill(addDays(today, 7));
    await form.getByLabel('Customer id', {exact: true}).fill('cus_nobody');
    await form.getByRole('button', {name: 'Create task'}).click();
    const err = page.locator('#nt-customer-error');
    await err.filter({hasText: 'no customer'}).waitFor();
    assert.equal(await form.getByLabel('Customer id', {exact: true}).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'nt-customer');
    await form.getByLabel('Customer id', {exact: true}).fill('cus_one');
    await form.getByLabel('SLA hours', {exact: true}).fill('0');
    await form.getByRole('button', {name: 'Create task'}).click();
    await page.locator('#nt-sla-error').filter({hasText: 'sla_hours'}).waitFor();
    assert.equal(await err.isHidden(), true, 'the old error is gone');
    await page.screenshot({path: shotPath('new-task-error-1280.png'), fullPage: true});
    await form.getByLabel('SLA hours', {exact: true}).fill('48');
    await form.getByRole('button', {name: 'Create task'}).click();
    await rowsOf(page).filter({hasText: 'Collect signed contract'}).waitFor();
    const {data} = await server.ok('GET', '/ops/tasks?limit=500');
    const made = data.find((x) => x.title === 'Collect signed contract');
    assert.equal(made.user_id, 'cus_one');
    assert.equal(made.sla_hours, 48);
  });

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
      const {context, page} = await signedIn(browser, server, anna, {width, height: width > 600 ? 900 : 844});
      await openQueue(page, '?status=OPEN,IN_PROGRESS,OVERDUE');
      await rowsOf(page).filter({hasText: 'Customer One'}).first().waitFor();
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
