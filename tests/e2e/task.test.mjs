// task.test.mjs: a task's page (/tasks/{id}) in a real browser (Debian's
// Chromium via playwright-core) against the real binary: its facts and
// description, editing every field (with pickers by name), comments with the
// @-mention picker, "why this task exists" for manual, renewal and rule tasks,
// the history in words, Start on an overdue task, complete and cancel with
// the 10-second undo, how a final task's SLA ended, isolated titles, live
// changes, the HTML 404 page; screenshots at 1280 and 390 px wide.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Server, addDays, launch, signedIn, shotPath} from './harness.mjs';

let server, browser, today, anna, ids = {};

async function openTask(page, id) {
  await page.goto('/tasks/' + id);
  await page.locator('#task[aria-busy="false"]').waitFor();
  await page.locator('#body:not([hidden])').waitFor();
}

const historyLines = (page) => page.locator('#history li .what').allTextContents();
const fact = (page, name) => page.locator('#facts dt', {hasText: new RegExp(`^${name}$`)}).locator('xpath=following-sibling::dd[1]');

async function noProblems(page) {
  assert.deepEqual(page.problems, [], 'no script errors, CSP refusals or dialogs');
}

/* Waits until the server says what(task) is true (bounded). */
async function until(id, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const t = await server.get(id);
    if (what(t)) return t;
    if (Date.now() > end) throw new Error('timed out waiting on ' + id + ': ' + JSON.stringify(t));
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  server = await new Server().start();
  browser = await launch();
  today = (await server.ok('GET', '/ops/me')).today;
  await server.ok('PUT', '/ops/staff/sta_anna', {name: 'Anna Staff'});
  await server.ok('PUT', '/ops/staff/sta_ben', {name: 'Ben Worker'});
  await server.ok('PUT', '/ops/staff/sta_bea', {name: 'Beatriz Núñez'});
  await server.ok('PUT', '/ops/staff/sta_gone', {name: 'Bert Gone', active: false});
  await server.ok('PUT', '/ops/customers/cus_one', {name: 'Customer One', owner_id: 'sta_anna'});
  await server.ok('PUT', '/ops/customers/cus_two', {name: 'Customer Two'});
  anna = server.token('agent', 'sta_anna');
  const asAnna = async (f) => {
    const r = await server.api('POST', '/ops/tasks', {due_date: '2039-01-01', ...f}, anna);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  };
  ids.chase = await asAnna({title: 'Chase bank statement', priority: 'HIGH', due_date: addDays(today, 2),
                            assignee_id: 'sta_anna', user_id: 'cus_one', sla_hours: 24,
                            description: 'Line one\nLine two'});
  ids.progress = await asAnna({title: 'Translate birth certificate', due_date: addDays(today, 3)});
  await server.api('PATCH', '/ops/tasks/' + ids.progress, {status: 'IN_PROGRESS'}, anna);
  ids.late = await asAnna({title: 'Visa appointment slipped', priority: 'URGENT', due_date: addDays(today, -2),
                           assignee_id: 'sta_ben'});
  ids.edit = await asAnna({title: 'Edit me', due_date: addDays(today, 9)});
  ids.stale = await asAnna({title: 'Edited elsewhere', due_date: addDays(today, 9)});
  ids.undo = await asAnna({title: 'Finish and undo', due_date: addDays(today, 4), sla_hours: 48});
  ids.cancel = await asAnna({title: 'Cancel and undo', due_date: addDays(today, 4), sla_hours: 48});
  ids.talk = await asAnna({title: 'Talk it over', due_date: addDays(today, 4)});
  ids.wait = await asAnna({title: 'Wait for the scan', due_date: addDays(today, 4), sla_hours: 24});
  // a renewal task: the item expires in 20 days, so the 30-day threshold is crossed
  await server.ok('PUT', '/ops/customers/cus_one/renewals/ren_pass', {kind: 'passport', expires_on: addDays(today, 20)});
  const run = await server.ok('POST', '/ops/renewals/run');
  ids.renewal = run.created.find((c) => c.renewal_id === 'ren_pass').task_id;
  // a rule's task, from an event with data
  await server.ok('DELETE', '/ops/rules/rul_default_rejected_document');
  await server.ok('PUT', '/ops/rules/rul_docs', {name: 'Follow up rejected documents', event_type: 'document.rejected',
    task: {title: 'Request a new {{data.document_type}}', priority: 'HIGH', due_in_days: 2, assignee: 'customer_owner'}});
  const ev = await server.ok('POST', '/ops/events', {id: 'evt_rej1', type: 'document.rejected', user_id: 'cus_one',
    data: {document_type: 'bank_statement', reason: 'unreadable scan', pages: {count: 3}}});
  ids.rule = ev.tasks.find((t) => t);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('a task page', () => {
  let context, page;
  before(async () => ({context, page} = await signedIn(browser, server, anna)));
  after(async () => { await noProblems(page); await context.close(); });

  test('shows the facts, the description, who made it and the history in words', async () => {
    await openTask(page, ids.chase);
    assert.equal(await page.locator('h1').textContent(), 'Chase bank statement');
    assert.equal(await page.locator('.description').textContent(), 'Line one\nLine two');
    assert.equal(await fact(page, 'Assignee').textContent(), 'Anna Staff');
    assert.equal(await fact(page, 'Customer').textContent(), 'Customer One');
    assert.equal(await fact(page, 'Customer').locator('a').getAttribute('href'), '/customers/cus_one');
    assert.match(await fact(page, 'SLA').textContent(), /left/);
    assert.equal(await fact(page, 'Due').locator('.due-rel').textContent(),
                 await page.evaluate((t) => Ops.dueText(t, t.today), {status: 'OPEN', due_date: addDays(today, 2), today}));
    assert.match(await page.locator('#why-body').textContent(), /^Made by hand by Anna Staff on /);
    assert.deepEqual(await historyLines(page), ['Anna Staff: created this task']);
    // a token tied to nobody is named by its name, never its id
    const tok = (await server.ok('GET', '/ops/tokens')).data.find((x) => !x.staff_id && x.role === 'admin');
    await server.ok('PATCH', '/ops/tasks/' + ids.chase, {priority: 'URGENT'});
    await openTask(page, ids.chase);
    assert.equal((await historyLines(page))[1], `${tok.name} (API token): changed the priority from High to Urgent`);
    await openTask(page, ids.progress);
    assert.deepEqual(await historyLines(page), ['Anna Staff: created this task', 'Anna Staff: started it']);
    assert.equal(await page.locator('.description').count(), 0);
    assert.equal(await page.locator('#desc').textContent(), 'No description.');
  });

  test('a task that does not exist says so', async () => {
    await page.goto('/tasks/tsk_01J00000000000000000000000');
    await page.locator('#error').filter({hasText: 'no such task'}).waitFor();
    assert.equal(await page.locator('h1').textContent(), 'Task not found');
  });

  test('edits every field, picking the assignee and the customer by name', async () => {
    await openTask(page, ids.edit);
    await page.getByRole('button', {name: 'Edit'}).click();
    const form = page.locator('#edit-form');
    assert.equal(await form.getByLabel('Title').evaluate((e) => e === document.activeElement), true, 'focus in the form');
    await form.getByLabel('Title').fill('Edited title');
    await form.getByLabel('Description').fill('Now with\na description');
    await form.getByLabel('Priority').selectOption('URGENT');
    await form.getByLabel('Due date').fill(addDays(today, 12));
    await form.getByLabel('SLA hours').fill('abc');
    await form.getByRole('button', {name: 'Save changes'}).click();
    await page.locator('#ed-sla-error').filter({hasText: 'above 0'}).waitFor();
    await form.getByLabel('SLA hours').fill('1.5');
    await page.locator('#ed-sla-error').waitFor({state: 'hidden'});
    await form.getByRole('combobox', {name: 'Assignee'}).fill('Be');
    await page.getByRole('option', {name: /Ben Worker/}).waitFor();
    assert.equal(await page.getByRole('option', {name: /Bert Gone/}).count(), 0, 'inactive staff are not offered');
    await form.getByRole('combobox', {name: 'Assignee'}).fill('Ben');
    await page.getByRole('option', {name: /Ben Worker/}).click();
    await form.getByRole('combobox', {name: 'Customer'}).fill('Two');
    await form.getByRole('combobox', {name: 'Customer'}).press('ArrowDown');
    await page.getByRole('option', {name: /Customer Two/}).waitFor();
    await form.getByRole('combobox', {name: 'Customer'}).press('Enter');
    assert.equal(await form.getByRole('combobox', {name: 'Customer'}).inputValue(), 'Customer Two');
    await page.screenshot({path: shotPath('task-edit-1280.png'), fullPage: true});
    await form.getByRole('button', {name: 'Save changes'}).click();
    await page.locator('h1', {hasText: 'Edited title'}).waitFor();
    assert.equal(await page.locator('#edit-form').count(), 0, 'the form closes');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'edit-btn', 'focus back on Edit');
    const t = await server.get(ids.edit);
    assert.deepEqual([t.title, t.description, t.priority, t.due_date, t.sla_hours, t.assignee_id, t.user_id],
                     ['Edited title', 'Now with\na description', 'URGENT', addDays(today, 12), 1.5, 'sta_ben', 'cus_two']);
    assert.equal(await fact(page, 'Assignee').textContent(), 'Ben Worker');
    assert.equal(await fact(page, 'Customer').textContent(), 'Customer Two');
    await page.locator('#history li .what').nth(1).waitFor();
    const lines = await historyLines(page);
    assert.equal(lines.length, 2, 'one entry for the one save: ' + lines.join('\n'));
    assert.match(lines[1], new RegExp('^Anna Staff: renamed it from “Edit me” to “Edited title”; added a description; ' +
      'changed the priority from Medium to Urgent; moved the due date from .+ to .+; set an SLA of 1.5 h; ' +
      'assigned it to Ben Worker; set the customer to Customer Two; the SLA deadline is now .+$'));
    // clear the assignee, the customer and the SLA; a name typed but not picked is refused
    await page.getByRole('button', {name: 'Edit'}).click();
    await form.getByRole('combobox', {name: 'Assignee'}).fill('');
    await form.getByRole('combobox', {name: 'Customer'}).fill('Nobody at all');
    await form.getByLabel('SLA hours').fill('');
    await form.getByRole('button', {name: 'Save changes'}).click();
    await page.locator('#ed-customer-error').filter({hasText: 'Pick a customer'}).waitFor();
    await form.getByRole('combobox', {name: 'Customer'}).fill('');
    await form.getByLabel('Title').fill('');
    await form.getByRole('button', {name: 'Save changes'}).click();
    await page.locator('#ed-title-error').filter({hasText: 'needs a title'}).waitFor();
    await form.getByLabel('Title').fill('Edited title');
    await form.getByRole('button', {name: 'Save changes'}).click();
    await page.locator('#edit-form').waitFor({state: 'detached'});
    const u = await server.get(ids.edit);
    assert.deepEqual([u.assignee_id, u.user_id, u.sla_hours], [null, null, null]);
    // the history is read again after the save: wait for its third entry
    await page.locator('#history li .what').nth(2).waitFor();
    assert.match((await historyLines(page))[2], /^Anna Staff: removed the SLA \(was 1.5 h\); unassigned it \(was Ben Worker\); removed the customer \(was Customer Two\)/);
    // Escape closes the editor without saving
    await page.getByRole('button', {name: 'Edit'}).click();
    await form.getByLabel('Title').fill('Not saved');
    await form.getByLabel('Title').press('Escape');
    await page.locator('#edit-form').waitFor({state: 'detached'});
    assert.equal((await server.get(ids.edit)).title, 'Edited title');
  });

  test('a stale edit is refused and the page reloads the task', async () => {
    await openTask(page, ids.stale);
    await page.getByRole('button', {name: 'Edit'}).click();
    await server.ok('PATCH', '/ops/tasks/' + ids.stale, {priority: 'LOW'});
    await page.locator('#edit-form').getByLabel('Title').fill('Mine');
    await page.getByRole('button', {name: 'Save changes'}).click();
    await page.locator('#toast').filter({hasText: 'Someone else changed this task'}).waitFor();
    await page.locator('.task-badges', {hasText: 'Low'}).waitFor();
    assert.equal((await server.get(ids.stale)).title, 'Edited elsewhere');
  });

  test('comments: @ offers staff names and inserts the mention, shown as the name', async () => {
    await openTask(page, ids.talk);
    assert.equal(await page.locator('#comment-list').textContent(), 'No comments yet.');
    const box = page.getByLabel('Add a comment');
    await box.click();
    await box.pressSequentially('Called them. @be');
    const opts = page.locator('#mention-list [role=option]');
    await opts.first().waitFor();
    await page.screenshot({path: shotPath('task-mention-1280.png')});
    assert.deepEqual(await opts.locator('bdi').allTextContents(), ['Beatriz Núñez', 'Ben Worker'],
                     'active staff whose name has a word beginning so, by name');
    assert.equal(await box.getAttribute('aria-activedescendant'), 'mention-0');
    await box.press('ArrowDown');
    assert.equal(await box.getAttribute('aria-activedescendant'), 'mention-1');
    await box.press('Enter');
    assert.equal(await box.inputValue(), 'Called them. @sta_ben ');
    assert.equal(await page.locator('#mention-list').isHidden(), true);
    await box.pressSequentially('can you check? And @nu');  // accents do not matter
    await opts.first().waitFor();
    assert.deepEqual(await opts.locator('bdi').allTextContents(), ['Beatriz Núñez']);
    await opts.first().click();
    assert.equal(await box.inputValue(), 'Called them. @sta_ben can you check? And @sta_bea ');
    await box.press('Escape');
    await page.getByRole('button', {name: 'Add comment'}).click();
    const c = page.locator('#comment-list .comment');
    await c.first().waitFor();
    assert.equal(await c.locator('.comment-body').textContent(), 'Called them. @Ben Worker can you check? And @Beatriz Núñez ');
    assert.equal(await c.locator('.mention').first().getAttribute('title'), '@sta_ben');
    assert.equal(await c.locator('.actor').textContent(), 'Anna Staff');
    assert.equal(await box.inputValue(), '', 'the box is emptied');
    assert.equal(await page.locator('#comments-h').textContent(), 'Comments (1)');
    const {data} = await server.ok('GET', `/ops/tasks/${ids.talk}/comments`);
    assert.deepEqual(data[0].mentions, ['sta_ben', 'sta_bea']);
    // an empty comment is refused on the page; a comment by keyboard (Ctrl+Enter)
    await page.getByRole('button', {name: 'Add comment'}).click();
    await page.locator('#comment-body-error').filter({hasText: 'Write something'}).waitFor();
    await box.fill('Second <b>note</b> @sta_nobody');
    await box.press('Control+Enter');
    await c.nth(1).waitFor();
    assert.equal(await c.nth(1).locator('.comment-body').textContent(), 'Second <b>note</b> @sta_nobody');
    assert.equal(await c.nth(1).locator('b, .mention').count(), 0);
    // a reload shows them
    await openTask(page, ids.talk);
    assert.equal(await page.locator('#comment-list .comment').count(), 2);
  });

  test('why a renewal task exists: the item, its expiry and the threshold, linked; the history names them', async () => {
    await openTask(page, ids.renewal);
    const why = page.locator('#why-body');
    assert.match(await why.textContent(), /threshold of Customer One’s passport was crossed/);
    assert.equal(await why.locator('a').first().getAttribute('href'), '/customers/cus_one');
    assert.match(await why.textContent(), /Expires.*\(in 20 days\)/);
    assert.match(await why.textContent(), /Threshold30 days before expiry, crossed on /);
    const exp = addDays(today, 20);
    assert.deepEqual(await historyLines(page), [`Renewals: passport expires ${exp}, 30-day threshold; created this task`]);
    // the expiry date was wrong: 5 days, so the 14-day threshold escalates the task
    await server.ok('PUT', '/ops/customers/cus_one/renewals/ren_pass', {kind: 'passport', expires_on: addDays(today, 5)});
    await server.ok('POST', '/ops/renewals/run');
    await openTask(page, ids.renewal);
    const lines = await historyLines(page);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[1], new RegExp(`^Renewals: passport expires ${addDays(today, 5)}, 14-day threshold; changed the ` +
                                      'priority from High to Urgent; moved the due date from .+; set an SLA of 2[45] h'));
    assert.match(await why.textContent(), /Escalated14 days before expiry/);
  });

  test('why a rule task exists: the rule by name and the event with its data', async () => {
    await openTask(page, ids.rule);
    const why = page.locator('#why-body');
    assert.match(await why.textContent(), /^The rule Follow up rejected documents made it when the event document.rejected arrived\./);
    const data = await why.locator('dl').last().locator('dt, dd').allTextContents();
    assert.deepEqual(data, ['document_type', 'bank_statement', 'reason', 'unreadable scan', 'pages.count', '3']);
    assert.deepEqual(await historyLines(page),
                     ['Rule “Follow up rejected documents”: created this task for event evt_rej1']);
    // a deleted rule and an event no longer kept still read
    await page.route('**/ops/events/evt_rej1', (r) => r.fulfill({status: 404, contentType: 'application/json',
      body: '{"error":{"code":"not_found","message":"no event"}}'}));
    await openTask(page, ids.rule);
    assert.match(await why.textContent(), /no longer kept/);
    await page.unroute('**/ops/events/evt_rej1');
  });

  test('an overdue task can be started on its page and then reads "Overdue · in progress"', async () => {
    await openTask(page, ids.late);
    assert.match(await page.locator('.task-badges').textContent(), /^⚠Overdue/);
    await page.getByRole('button', {name: 'Start'}).click();
    await page.locator('.task-badges', {hasText: 'Overdue · in progress'}).waitFor();
    assert.equal(await page.getByRole('button', {name: 'Start'}).count(), 0);
    assert.equal(await fact(page, 'Status').textContent(), '⚠Overdue · in progress');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Complete', 'focus stays in the actions');
    const t = await server.get(ids.late);
    assert.deepEqual([t.status, t.work_status], ['OVERDUE', 'IN_PROGRESS']);
    await page.locator('#history li', {hasText: 'Anna Staff: started it while overdue'}).waitFor();
  });

  test('Waiting on customer pauses the SLA clock and says so, pressed again it resumes', async () => {
    await openTask(page, ids.wait);
    const btn = page.getByRole('button', {name: 'Waiting on customer'});
    assert.equal(await btn.getAttribute('aria-pressed'), 'false');
    await btn.click();
    await fact(page, 'Waiting').waitFor();
    assert.match(await fact(page, 'SLA').textContent(), /^Paused \(waiting on the customer\): .* left/);
    assert.equal(await page.getByRole('button', {name: 'Waiting on customer'}).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Waiting on customer');
    assert.equal((await server.get(ids.wait)).waiting_on_customer, true);
    await page.locator('#history li', {hasText: 'Anna Staff: paused the SLA clock: waiting on the customer'}).waitFor();
    await page.screenshot({path: shotPath('task-waiting-1280.png')});
    await page.getByRole('button', {name: 'Waiting on customer'}).click();
    await page.locator('#history li', {hasText: 'Anna Staff: resumed the SLA clock'}).waitFor();
    assert.equal(await fact(page, 'Waiting').count(), 0);
    assert.match(await fact(page, 'SLA').textContent(), /^1 d left/);
    const t = await server.get(ids.wait);
    assert.deepEqual([t.waiting_on_customer, t.sla_paused_at], [false, null]);
  });

  test('complete answers with Undo, which reopens the task', async () => {
    await server.ok('PATCH', '/ops/tasks/' + ids.undo, {status: 'IN_PROGRESS'});
    await openTask(page, ids.undo);
    await page.getByRole('button', {name: 'Complete'}).click();
    const toast = page.locator('#notice');
    await toast.filter({hasText: 'completed'}).waitFor();
    assert.match(await fact(page, 'SLA').textContent(), /^SLA met: completed .* before its deadline/);
    assert.equal((await server.get(ids.undo)).status, 'COMPLETED');
    await toast.getByRole('button', {name: 'Undo'}).click();
    await page.locator('.task-badges', {hasText: 'In progress'}).waitFor();
    const t = await server.get(ids.undo);
    assert.deepEqual([t.status, t.completed_at], ['IN_PROGRESS', null], 'back to the work status it had');
    assert.equal(await toast.isHidden(), true);
    const lines = await historyLines(page);
    assert.deepEqual(lines.slice(-2), ['Anna Staff: completed it', 'Anna Staff: reopened it (Completed → In progress)']);
  });

  test('cancel asks first, answers with Undo for 10 seconds, and says how the SLA ended', async () => {
    const {context: ctx, page: p} = await signedIn(browser, server, anna);
    await p.clock.install();
    await openTask(p, ids.cancel);
    await p.getByRole('button', {name: 'Cancel'}).click();
    const dlg = p.getByRole('dialog', {name: 'Cancel this task?'});
    await dlg.waitFor();
    await dlg.getByRole('button', {name: 'Keep it as it is'}).click();
    assert.equal((await server.get(ids.cancel)).status, 'OPEN');
    await p.getByRole('button', {name: 'Cancel'}).click();
    await dlg.getByRole('button', {name: 'Cancel task'}).click();
    await p.locator('#notice', {hasText: 'cancelled'}).waitFor();
    assert.equal(await fact(p, 'SLA').locator('.sla-met').textContent(), 'Cancelled before its deadline');
    assert.equal(await p.getByRole('button', {name: 'Reopen'}).count(), 1);
    await p.clock.fastForward(9000);
    assert.equal(await p.locator('#notice').isVisible(), true, 'still there after 9 s');
    await p.clock.fastForward(1500);
    await p.locator('#notice').waitFor({state: 'hidden'});
    assert.equal((await server.get(ids.cancel)).status, 'CANCELLED');
    // Reopen from the page
    await p.getByRole('button', {name: 'Reopen'}).click();
    await p.locator('.task-badges', {hasText: 'Open'}).waitFor();
    assert.equal((await server.get(ids.cancel)).status, 'OPEN');
    await noProblems(p);
    await ctx.close();
  });

  test('a completed task past its SLA says it was breached, and the history says by how much', async () => {
    const r = await server.api('POST', '/ops/tasks', {title: 'Quick SLA', due_date: addDays(today, 1), sla_hours: 0.0003}, anna);
    const id = r.body.id;
    await until(id, (t) => t.sla_breached === true);
    await server.api('PATCH', '/ops/tasks/' + id, {status: 'COMPLETED'}, anna);
    await openTask(page, id);
    assert.match(await fact(page, 'SLA').textContent(), /^SLA breached: completed \d+ min after its deadline/);
    assert.ok((await historyLines(page)).some((l) => /^System: SLA breached (at its deadline|\d+ min after its deadline)$/
      .test(l) || /^Anna Staff: SLA breached/.test(l)), (await historyLines(page)).join('\n'));
    // the wording for a late sweep: 3 h 12 min after the deadline
    await page.route(`**/ops/tasks/${id}/history`, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      for (const h of body.data) if (h.type === 'sla_breached') h.at = new Date(Date.parse(h.to) + (3 * 60 + 12) * 60000).toISOString();
      await route.fulfill({response: res, json: body});
    });
    await openTask(page, id);
    assert.ok((await historyLines(page)).some((l) => l.endsWith(': SLA breached 3 h 12 min after its deadline')),
              (await historyLines(page)).join('\n'));
    await page.unroute(`**/ops/tasks/${id}/history`);
  });

  test('titles are isolated and shown as text', async () => {
    const evil = '\u05e9\u05dc\u05d5\u05dd <img src=x onerror=alert(1)> 123';
    const r = await server.api('POST', '/ops/tasks', {title: evil, due_date: addDays(today, 1)}, anna);
    await server.api('PATCH', '/ops/tasks/' + r.body.id, {title: 'abc ' + evil}, anna);
    await openTask(page, r.body.id);
    const h1 = page.locator('h1');
    assert.equal(await h1.textContent(), 'abc ' + evil);
    assert.equal(await h1.getAttribute('dir'), 'auto');
    assert.equal(await page.locator('main img').count(), 0);
    const renamed = page.locator('#history li', {hasText: 'renamed it'});
    assert.equal(await renamed.locator('bdi.title-val').count(), 2, 'both titles in <bdi>');
    assert.equal(await page.title(), `abc ${evil} · opstasks`);
  });

  test('a change made elsewhere shows when the live feed says so', async () => {
    await openTask(page, ids.talk);
    const box = page.getByLabel('Add a comment');
    await box.fill('half-written');
    await server.ok('PATCH', '/ops/tasks/' + ids.talk, {priority: 'URGENT'});
    await page.evaluate((id) => document.dispatchEvent(new CustomEvent('ops:changes',
      {detail: {changes: [{task_id: id, type: 'task.updated', version: 2}]}})), ids.talk);
    await page.locator('.task-badges', {hasText: 'Urgent'}).waitFor();
    assert.equal(await box.inputValue(), 'half-written', 'what was being typed stays');
    await box.fill('');
  });

  test('every control is labelled and reachable by keyboard', async () => {
    await openTask(page, ids.chase);
    await page.getByRole('button', {name: 'Edit'}).click();
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('main button, main input, main select, main textarea, main a')]
      .filter((e) => !e.hidden && e.offsetParent !== null)
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
      .map((e) => e.outerHTML));
    assert.deepEqual(unlabelled, []);
    await page.keyboard.press('Escape');
    await page.locator('#edit-form').waitFor({state: 'detached'});
    // Tab from the top reaches the actions, then the comment box
    await page.goto('/tasks/' + ids.chase);
    await page.locator('#body:not([hidden])').waitFor();
    const seen = [];
    for (let i = 0; i < 40 && !seen.includes('comment-body'); i++) {
      await page.keyboard.press('Tab');
      seen.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim()));
    }
    for (const want of ['Skip to the task', 'Start', 'Complete', 'Cancel', 'edit-btn', 'comment-body'])
      assert.ok(seen.includes(want), `${want} reached by Tab: ${seen.join(' | ')}`);
  });
});

describe('the 404 page', () => {
  test('a browser asking for a page that does not exist gets an HTML page with a way back', async () => {
    const {context, page} = await signedIn(browser, server, anna);
    const res = await page.goto('/no/such/page');
    assert.equal(res.status(), 404);
    assert.equal(await page.title(), 'Page not found · opstasks');
    await page.screenshot({path: shotPath('not-found-1280.png')});
    await page.getByRole('link', {name: 'Go to the task queue'}).click();
    await page.waitForURL(/\/tasks$/);
    const api = await page.evaluate(async () => (await fetch('/no/such/page')).headers.get('Content-Type'));
    assert.equal(api, 'application/json', 'a script asking with */* still gets JSON');
    await noProblems(page);
    await context.close();
  });
});

describe('screenshots', () => {
  before(async () => {
    await server.api('POST', `/ops/tasks/${ids.renewal}/comments`, {body: 'Asked @sta_ben to phone the customer.'}, anna);
  });
  for (const width of [1280, 390]) {
    test(`a task at ${width} px wide`, async () => {
      const {context, page} = await signedIn(browser, server, anna, {width, height: width > 600 ? 800 : 844});
      for (const [key, name] of [['renewal', 'renewal'], ['rule', 'rule'], ['late', 'overdue']]) {
        await openTask(page, ids[key]);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at ${width} px (overflow ${overflow})`);
        await page.screenshot({path: shotPath(`task-${name}-${width}.png`), fullPage: true});
      }
      await page.screenshot({path: shotPath(`task-${width}.png`)});
      await noProblems(page);
      await context.close();
    });
  }
});
