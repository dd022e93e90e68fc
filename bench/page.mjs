// page.mjs URL TOKEN [RUNS]: how soon the /tasks page is usable, measured in
// Debian's Chromium (playwright-core from tests/e2e). Signs in once, then
// navigates to /tasks RUNS times and reads the page's own mark
// "opstasks:queue-ready" (set when the first page of rows is on screen),
// which counts from the start of the navigation. Prints one JSON line.
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'e2e', 'package.json'));
const {chromium} = require('playwright-core');

const [url, token, runsArg] = process.argv.slice(2);
const runs = Math.max(1, Math.min(50, Number(runsArg) || 10));
const browser = await chromium.launch({executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']});
try {
  const context = await browser.newContext({baseURL: url, viewport: {width: 1280, height: 900}});
  const res = await context.request.post('/login', {data: {token}, headers: {Origin: url}});
  if (res.status() !== 200) throw new Error('sign-in failed: ' + res.status());
  const page = await context.newPage();
  const times = [];
  let rows = 0;
  for (let i = 0; i < runs + 1; i++) {
    await page.goto('/tasks', {timeout: 30000});
    const t = await page.waitForFunction(() => {
      const m = performance.getEntriesByName('opstasks:queue-ready')[0];
      return m ? m.startTime : null;
    }, null, {timeout: 30000});
    rows = await page.locator('#rows tr.task').count();
    if (i > 0) times.push(await t.jsonValue());  /* the first load warms the caches */
  }
  times.sort((a, b) => a - b);
  const pick = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  console.log(JSON.stringify({runs, rows, median_ms: Math.round(pick(0.5)), max_ms: Math.round(times[times.length - 1]),
                              min_ms: Math.round(times[0])}));
} finally {
  await browser.close();
}
