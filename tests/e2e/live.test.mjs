// live.test.mjs: src/web/live.js in a real browser against the real binary.
// live.js is added to the queue page (page.addScriptTag, as the pages will
// load it); a change made from a second browser context (another person,
// signed in with their own session) must reach the first page as one
// 'ops:changes' event on document within 2 s; when the stream is refused
// (503, as past the server's cap) live.js polls GET /ops/changes and
// dispatches the same event; a hidden tab lets its stream go and resumes
// when shown. Screenshots at 1280 and 390 px wide.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Server, addDays, launch, signedIn, shotPath} from './harness.mjs';

let server, browser, today, anna, ben;

async function openWithLive(page, route) {
  if (route) await page.route('**/ops/stream**', route);
  await page.goto('/tasks');
  await page.evaluate(() => {
    window.__seen = [];
    document.addEventListener('ops:changes', (e) => window.__seen.push({at: Date.now(), detail: e.detail}));
  });
  await page.addScriptTag({url: '/assets/live.js'});
}

/* The changes seen so far, flattened. */
const seen = (page) => page.evaluate(() => window.__seen.flatMap((e) => e.detail.changes));

/* Waits (bounded) until a change matching type and task_id has arrived; returns it. */
async function waitForChange(page, type, taskId, timeout) {
  const h = await page.waitForFunction(([type, id]) => {
    for (const e of window.__seen) for (const c of e.detail.changes) if (c.type === type && c.task_id === id) return c;
    return null;
  }, [type, taskId], {timeout, polling: 50});
  return h.jsonValue();
}

/* A write from a browser context as the page makes it: its session cookie,
 * the CSRF header from the cookie, the Origin. */
async function write(ctx, method, path, body) {
  const csrf = (await ctx.cookies()).find((c) => c.name === 'opstasks_csrf').value;
  const res = await ctx.request.fetch(path, {method, data: body,
                                             headers: {'X-CSRF-Token': csrf, Origin: server.url}});
  assert.ok(res.status() < 300, `${method} ${path}: ${res.status()} ${await res.text()}`);
  return res.json();
}

before(async () => {
  server = await new Server().start();
  browser = await launch();
  today = (await server.ok('GET', '/ops/me')).today;
  await server.ok('PUT', '/ops/staff/sta_anna', {name: 'Anna Staff'});
  await server.ok('PUT', '/ops/staff/sta_ben', {name: 'Ben Worker'});
  anna = server.token('agent', 'sta_anna');
  ben = server.token('agent', 'sta_ben');
  for (let i = 0; i < 5; i++)
    await server.task({title: `Existing task ${i}`, due_date: addDays(today, i + 1), assignee_id: 'sta_anna'});
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('live.js', () => {
  test('a change from a second browser context reaches the page as ops:changes within 2 s', async () => {
    const a = await signedIn(browser, server, anna, {width: 1280, height: 800});
    const b = await signedIn(browser, server, ben);
    try {
      await openWithLive(a.page);
      await a.page.waitForFunction(() => window.OpsLive && window.OpsLive.mode === 'stream', null, {timeout: 5000});

      const t = await write(b.context, 'POST', '/ops/tasks', {title: 'Made by Ben', due_date: addDays(today, 2)});
      const created = await waitForChange(a.page, 'task.created', t.id, 2000);
      assert.deepEqual(created, {task_id: t.id, type: 'task.created', version: 1});

      const started = Date.now();
      const p = await write(b.context, 'PATCH', `/ops/tasks/${t.id}`, {status: 'IN_PROGRESS', assignee_id: 'sta_anna'});
      const updated = await waitForChange(a.page, 'task.updated', t.id, 2000);
      assert.ok(Date.now() - started < 2000, 'within 2 s');
      assert.deepEqual(updated, {task_id: t.id, type: 'task.updated', version: p.version});

      await write(b.context, 'POST', `/ops/tasks/${t.id}/comments`, {body: 'On it, Anna'});
      const commented = await waitForChange(a.page, 'comment.created', t.id, 2000);
      assert.equal(commented.task_id, t.id);

      // every event has the contract's shape: {changes: [{task_id, type, version}]}
      const events = await a.page.evaluate(() => window.__seen.map((e) => e.detail));
      for (const d of events) {
        assert.deepEqual(Object.keys(d), ['changes']);
        assert.ok(Array.isArray(d.changes) && d.changes.length > 0);
        for (const c of d.changes) assert.deepEqual(Object.keys(c).sort(), ['task_id', 'type', 'version']);
      }
      // each change once, in order
      assert.deepEqual((await seen(a.page)).map((c) => c.type), ['task.created', 'task.updated', 'comment.created']);

      // loading it again does not open a second stream nor repeat the events
      await a.page.addScriptTag({url: '/assets/live.js'});
      await write(b.context, 'PATCH', `/ops/tasks/${t.id}`, {priority: 'HIGH'});
      await a.page.waitForFunction(() => window.__seen.flatMap((e) => e.detail.changes).length >= 4, null,
                                   {timeout: 2000});
      await a.page.waitForTimeout(300); // a repeat would come with the same batch
      assert.equal((await seen(a.page)).length, 4);

      await a.page.screenshot({path: shotPath('live-queue-1280.png')});
      await a.page.setViewportSize({width: 390, height: 844});
      await a.page.screenshot({path: shotPath('live-queue-390.png')});
      assert.deepEqual(a.page.problems, [], 'no script errors or CSP refusals');
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test('a hidden tab lets its stream go and, shown again, gets what changed meanwhile', async () => {
    const a = await signedIn(browser, server, anna, {width: 1280, height: 800});
    const b = await signedIn(browser, server, ben);
    const visibility = (page, state) => page.evaluate((state) => {
      Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
    try {
      await openWithLive(a.page);
      await a.page.waitForFunction(() => window.OpsLive && window.OpsLive.mode === 'stream', null, {timeout: 5000});
      await visibility(a.page, 'hidden');
      await a.page.waitForFunction(() => window.OpsLive.mode === 'paused', null, {timeout: 8000});
      const t = await write(b.context, 'POST', '/ops/tasks', {title: 'Made while hidden', due_date: addDays(today, 4)});
      await a.page.waitForTimeout(1200); // past a poll of the server's feed: nothing comes while hidden
      assert.deepEqual(await seen(a.page), []);
      await visibility(a.page, 'visible');
      await waitForChange(a.page, 'task.created', t.id, 2000);
      await a.page.waitForFunction(() => window.OpsLive.mode === 'stream', null, {timeout: 2000});
      const p = await write(b.context, 'PATCH', `/ops/tasks/${t.id}`, {status: 'IN_PROGRESS'});
      assert.deepEqual(await waitForChange(a.page, 'task.updated', t.id, 2000),
                       {task_id: t.id, type: 'task.updated', version: p.version});
      assert.deepEqual((await seen(a.page)).map((c) => c.type), ['task.created', 'task.updated']);
      assert.deepEqual(a.page.problems, [], 'no script errors or CSP refusals');
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test('when the stream is refused, live.js polls and dispatches the same event', async () => {
    const a = await signedIn(browser, server, anna, {width: 1280, height: 800});
    const b = await signedIn(browser, server, ben);
    let refused = 0;
    try {
      await openWithLive(a.page, (route) => {
        refused++;
        route.fulfill({status: 503, headers: {'Retry-After': '10', 'Content-Type': 'application/json'},
                       body: '{"error":{"code":"unavailable","message":"too many live streams"}}'});
      });
      await a.page.waitForFunction(() => window.OpsLive && window.OpsLive.mode === 'polling', null, {timeout: 5000});
      assert.ok(refused >= 1);
      // the first poll has its position before the change is made
      await a.page.waitForResponse((r) => r.url().includes('/ops/changes'), {timeout: 5000});

      const t = await write(b.context, 'POST', '/ops/tasks', {title: 'Seen by polling', due_date: addDays(today, 3)});
      await write(b.context, 'PATCH', `/ops/tasks/${t.id}`, {status: 'IN_PROGRESS'});
      const created = await waitForChange(a.page, 'task.created', t.id, 4000);
      assert.ok(created.version >= 1); // the version when the poll read it
      await waitForChange(a.page, 'task.updated', t.id, 4000);
      assert.deepEqual((await seen(a.page)).map((c) => c.type), ['task.created', 'task.updated']);
      assert.deepEqual(a.page.problems, [], 'no script errors or CSP refusals');
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test('a page signed out gets no stream (401) and live.js does not hammer the server', async () => {
    const context = await browser.newContext({baseURL: server.url});
    const page = await context.newPage();
    try {
      const asked = [];
      page.on('request', (r) => { if (r.url().includes('/ops/')) asked.push(r.url()); });
      await page.goto('/login');
      await page.addScriptTag({url: '/assets/live.js'});
      await page.waitForFunction(() => window.OpsLive && window.OpsLive.mode === 'polling', null, {timeout: 5000});
      await page.waitForTimeout(2500);
      // the refused stream, then one poll answered 401, then nothing
      assert.ok(asked.filter((u) => u.includes('/ops/changes')).length <= 1, asked.join('\n'));
    } finally {
      await context.close();
    }
  });
});
