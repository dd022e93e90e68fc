// page.mjs URL TOKEN_A TOKEN_B [RUNS]: the /tasks page's speed in Debian's
// Chromium (playwright-core from tests/e2e), three figures, each over RUNS:
//   usable  navigation start → the first rows AND the stats bar's counts on
//           screen (seen by a MutationObserver the bench adds to the page)
//   search  the last keystroke in the search box (#q) → the rows on screen
//           are the matches (every row holds the word), checked each frame
//   change  a title changed by a second, separately signed-in browser (its
//           PATCH answered) → the new title on the first browser's screen
// Prints one JSON line; a part the page cannot do (no #q) is null.
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'e2e', 'package.json'));
const {chromium} = require('playwright-core');

const [url, tokenA, tokenB, runsArg] = process.argv.slice(2);
const runs = Math.max(1, Math.min(50, Number(runsArg) || 10));
const WORDS = ['passport', 'biometrics', 'payslip', 'insurance', 'rental', 'confirmation', 'residence', 'statement'];

/* runs in the page before its own scripts (a DevTools init script, so the CSP
 * does not apply): when rows and counts first appear, and input times */
const PROBE = () => {
  const w = window.__bench = {rows: null, counts: null, input: 0};
  const seen = () => {
    if (w.rows === null && document.querySelector('#rows tr.task')) w.rows = performance.now();
    const s = document.getElementById('stats');
    if (w.counts === null && s && /\d/.test(s.textContent)) w.counts = performance.now();
  };
  new MutationObserver(seen).observe(document, {childList: true, subtree: true, characterData: true});
  document.addEventListener('input', (ev) => { if (ev.target.id === 'q') w.input = performance.now(); }, true);
};

const stats = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return {median: Math.round(s[Math.floor(s.length / 2)]), max: Math.round(s[s.length - 1]),
          min: Math.round(s[0]), n: s.length};
};

async function signIn(browser, token) {
  const context = await browser.newContext({baseURL: url, viewport: {width: 1280, height: 800}});
  const res = await context.request.post('/login', {data: {token}, headers: {Origin: url}});
  if (res.status() !== 200) throw new Error('sign-in failed: ' + res.status());
  await context.addInitScript(PROBE);
  return {context, page: await context.newPage()};
}

/* the page opens on the person's last view: after a search, ?status=OPEN
 * (the default view) is asked for by name */
async function usable(page, query) {
  await page.goto('/tasks' + (query || ''), {timeout: 30000});
  const h = await page.waitForFunction(() => {
    const w = window.__bench;
    return w && w.rows !== null && w.counts !== null ? Math.max(w.rows, w.counts) : null;
  }, null, {timeout: 30000, polling: 'raf'});
  return h.jsonValue();
}

const browser = await chromium.launch({executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']});
try {
  const A = await signIn(browser, tokenA), B = await signIn(browser, tokenB);
  const page = A.page;
  const out = {runs, usable_ms: null, search_ms: null, change_ms: null, rows: 0};

  const u = [];
  for (let i = 0; i < runs + 1; i++) {
    const t = await usable(page);
    if (i > 0) u.push(t);  /* the first load warms the caches */
  }
  out.usable_ms = stats(u);
  out.rows = await page.locator('#rows tr.task').count();

  if (await page.locator('#q').count()) {
    const s = [];
    for (let i = 0; i < runs; i++) {
      const word = WORDS[i % WORDS.length];
      await usable(page, '?status=OPEN');
      await page.locator('#q').click();
      await page.keyboard.type(word, {delay: 60});  /* a quick typist; the page debounces */
      const h = await page.waitForFunction((wd) => {
        const rows = [...document.querySelectorAll('#rows tr.task')];
        if (!rows.length || !rows.every((r) => r.textContent.toLowerCase().includes(wd))) return null;
        return performance.now() - window.__bench.input;
      }, word, {timeout: 10000, polling: 'raf'});
      s.push(await h.jsonValue());
      (out.search_each = out.search_each || []).push([word, Math.round(s[s.length - 1])]);
    }
    out.search_ms = stats(s);
  }

  await B.page.goto('/tasks');
  await B.page.locator('#rows tr.task').first().waitFor({timeout: 30000});
  const c = [];
  for (let i = 0; i < runs; i++) {
    await usable(page, '?status=OPEN');
    const href = await page.locator('#rows tr.task a[href^="/tasks/tsk_"]').first().getAttribute('href');
    const id = href.split('/').pop();
    const title = `Bench change ${i} ${Date.now()}`;
    const watch = page.waitForFunction((tt) => {
      const r = [...document.querySelectorAll('#rows tr.task')].find((x) => x.textContent.includes(tt));
      return r ? Date.now() : null;
    }, title, {timeout: 40000, polling: 'raf'});
    const sent = await B.page.evaluate(async ([tid, tt]) => {
      const {data} = await Ops.api('GET', '/ops/tasks/' + tid);
      await Ops.patchTask(data, {title: tt});
      return Date.now();
    }, [id, title]);
    c.push((await (await watch).jsonValue()) - sent);
  }
  out.change_ms = stats(c);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
