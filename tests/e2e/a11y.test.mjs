// a11y.test.mjs: axe-core (from npm, injected through the DevTools protocol,
// so the pages' strict CSP stays as it is) over the sign-in, queue, task,
// customer and renewals pages, at 1280 and 390 px. A serious or critical
// violation fails; the lesser ones are listed in the test's diagnostics.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {Server, addDays, launch, signedIn, watched} from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
let server, browser, anna, taskId;

before(async () => {
  server = await new Server().start();
  browser = await launch();
  const {today} = await server.ok('GET', '/ops/me');
  await server.ok('PUT', '/ops/staff/sta_anna', {name: 'Anna Staff'});
  await server.ok('PUT', '/ops/customers/cus_one', {name: 'Customer One', owner_id: 'sta_anna'});
  anna = server.token('agent', 'sta_anna');
  taskId = (await server.task({title: 'Chase bank statement', priority: 'HIGH', due_date: addDays(today, 2),
                               assignee_id: 'sta_anna', user_id: 'cus_one', sla_hours: 24})).id;
  await server.task({title: 'Copy of passport missing', due_date: addDays(today, -3), user_id: 'cus_one'});
  await server.ok('PUT', '/ops/customers/cus_one/renewals/ren_permit', {kind: 'residence_permit', expires_on: addDays(today, 20)});
  await server.ok('POST', '/ops/renewals/run');
  await server.ok('POST', '/ops/events', {id: 'evt_one', type: 'document.rejected', user_id: 'cus_one',
                                          data: {document_type: 'passport', reason: 'unreadable scan'}});
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/* axe's findings of impact serious or critical, as lines; the others go to
 * the diagnostics */
async function check(t, page, name) {
  await page.evaluate(AXE);
  const res = await page.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
  const lines = (v) => v.nodes.map((n) => `${name}: ${v.impact} ${v.id} (${v.help}) at ${n.target.join(' ')}`);
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap(lines);
  for (const l of res.violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical').flatMap(lines))
    t.diagnostic(l);
  return bad;
}

const PAGES = [
  ['the queue', () => '/tasks', '#updated:has-text("Updated at")'],
  ['a task', () => '/tasks/' + taskId, '#task:not([aria-busy="true"])'],
  ['a customer', () => '/customers/cus_one', 'main:not([aria-busy])'],
  ['the renewals', () => '/renewals', '#count:has-text("item")', async (page) => {
    /* with an item's tasks open under its row */
    await page.getByRole('button', {name: /^All tasks/}).first().click();
    await page.locator('tr.sub-row a.title-link').first().waitFor();
  }],
];

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`the sign-in page has no serious accessibility violation at ${width} px`, async (t) => {
    const context = await browser.newContext({baseURL: server.url, viewport: {width, height}});
    const page = await watched(context);
    await page.goto('/login');
    await page.getByLabel('Email address').waitFor();
    const bad = await check(t, page, 'sign-in');
    await page.getByRole('button', {name: 'Sign in with an API token'}).click();
    bad.push(...await check(t, page, 'sign-in with a token'));
    await context.close();
    assert.deepEqual(bad, []);
  });

  for (const [name, path, ready, then] of PAGES) {
    test(`${name} page has no serious accessibility violation at ${width} px`, async (t) => {
      const {context, page} = await signedIn(browser, server, anna, {width, height});
      await page.goto(path());
      await page.locator(ready).first().waitFor();
      await page.waitForFunction(() => document.getElementById('whoami').textContent.startsWith('Signed in as'));
      if (then) await then(page);
      const bad = await check(t, page, name);
      await context.close();
      assert.deepEqual(bad, []);
    });
  }
}
