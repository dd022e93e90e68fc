// assets.test.mjs: each page's JavaScript and CSS together stay under
// 100 KiB uncompressed. Two ways: every page's HTML in src/web/ names its
// assets (<script src>, <link rel=stylesheet>), whose sizes the server
// serves are summed; and in the browser, what a signed-in page really loaded
// (the Resource Timing entries, so a script added at run time counts too).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {ROOT, Server, launch, signedIn} from './harness.mjs';

const LIMIT = 100 * 1024;
const WEB = path.join(ROOT, 'src', 'web');
let server, browser, taskId;

before(async () => {
  server = await new Server().start();
  browser = await launch();
  await server.ok('PUT', '/ops/customers/cus_one', {name: 'Customer One'});
  taskId = (await server.task({title: 'A task', user_id: 'cus_one'})).id;
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/* the /assets/ names an HTML file loads as script or style sheet */
function assetsOf(html) {
  const out = [];
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="\/assets\/([^"]+)"/g)) out.push(m[1]);
  for (const m of html.matchAll(/<link\b[^>]*>/g))
    if (/\brel="stylesheet"/.test(m[0])) out.push(/\bhref="\/assets\/([^"]+)"/.exec(m[0])[1]);
  return out;
}

const pages = readdirSync(WEB).filter((f) => f.endsWith('.html')).sort();

test('every page’s HTML names its scripts and style sheets, which exist', () => {
  assert.ok(pages.length >= 6, pages.join());
  for (const p of pages) {
    const names = assetsOf(readFileSync(path.join(WEB, p), 'utf8'));
    assert.ok(names.some((n) => n.endsWith('.css')), `${p} loads a style sheet`);
  }
});

for (const p of pages) {
  test(`${p}: its JavaScript and CSS come to less than 100 KiB`, async (t) => {
    const names = assetsOf(readFileSync(path.join(WEB, p), 'utf8'));
    let total = 0;
    for (const n of names) {
      const res = await fetch(`${server.url}/assets/${n}`);
      assert.equal(res.status, 200, n);
      const size = (await res.arrayBuffer()).byteLength;
      t.diagnostic(`${n} ${size} B`);
      total += size;
    }
    t.diagnostic(`${p}: ${total} B of ${LIMIT}`);
    assert.ok(total < LIMIT, `${p} loads ${total} bytes of JS and CSS (${names.join(', ')}), over ${LIMIT}`);
  });
}

for (const url of ['/tasks', '/tasks/TASK', '/customers/cus_one', '/renewals']) {
  test(`${url} loads less than 100 KiB of JavaScript and CSS in the browser`, async (t) => {
    const {context, page} = await signedIn(browser, server, server.admin);
    await page.goto(url.replace('TASK', taskId), {waitUntil: 'networkidle'});
    const got = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => /\.(js|css)(\?|$)/.test(new URL(e.name).pathname))
      .map((e) => [new URL(e.name).pathname, e.decodedBodySize]));
    await context.close();
    const total = got.reduce((a, [, n]) => a + n, 0);
    t.diagnostic(`${url}: ${JSON.stringify(got)} = ${total} B`);
    assert.ok(got.length >= 2, `the page loaded its script and style sheet: ${JSON.stringify(got)}`);
    assert.ok(total < LIMIT, `${url} loaded ${total} bytes of JS and CSS, over ${LIMIT}`);
  });
}
