// harness.mjs: what the browser tests share. Starts the real opstasks binary
// on 127.0.0.1 port 0 with a database in a temporary folder, makes tokens
// with its CLI, seeds data through the JSON API, and launches Debian's
// Chromium (/usr/bin/chromium, never a downloaded browser) through
// playwright-core. Everything talks to 127.0.0.1 only. With OPSTASKS_TEST_PG
// (the socket folder of the throwaway cluster scripts/with-pg.sh starts),
// each server gets a new PostgreSQL database of that cluster instead, which
// its stop() drops.
import {spawn, execFileSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = process.env.OPSTASKS_BIN || path.join(ROOT, 'build', 'opstasks');
export const SHOTS = process.env.OPSTASKS_SHOTS || path.join(ROOT, 'build', 'e2e');
const SAN = process.env.OPSTASKS_SAN === '1';
const SAN_MARKERS = ['ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer'];
const PG = process.env.OPSTASKS_TEST_PG || '';
let pgDatabases = 0;

/* CREATE or DROP DATABASE on the test cluster, through its Unix socket */
function psql(sql) {
  execFileSync('psql', ['-h', PG, '-U', 'postgres', '-d', 'postgres', '-Atqc', sql], {stdio: ['ignore', 'ignore', 'pipe']});
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                              '--disable-component-update', '--no-first-run'];

export class Server {
  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'opstasks-e2e-'));
    this.db = path.join(this.dir, 'x.db');
    if (PG) {
      this.pgName = `e2e${process.pid}_${pgDatabases++}`;
      psql(`CREATE DATABASE "${this.pgName}"`);
      this.db = `postgresql:///${this.pgName}?host=${PG}&user=postgres`;
    }
    this.stderr = '';
  }

  async start() {
    this.proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', this.db],
                      {stdio: ['ignore', 'pipe', 'pipe'],
                       env: {...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0'}});
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    this.port = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('no "listening on" line within 15 s: ' + this.stderr)), 15000);
      this.proc.stdout.on('data', (d) => {
        out += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      this.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${this.stderr}`)); });
    });
    this.url = `http://127.0.0.1:${this.port}`;
    this.admin = this.token('admin');
    return this;
  }

  /* SIGTERM; it must exit 0 and, under the sanitizers, report nothing. */
  async stop() {
    if (!this.proc) return;
    const code = await new Promise((resolve) => {
      this.proc.removeAllListeners('exit');
      this.proc.on('exit', (c) => resolve(c));
      this.proc.kill('SIGTERM');
    });
    this.proc = null;
    rmSync(this.dir, {recursive: true, force: true});
    if (this.pgName) psql(`DROP DATABASE IF EXISTS "${this.pgName}" WITH (FORCE)`);
    if (code !== 0) throw new Error(`server exited ${code} after SIGTERM: ${this.stderr.slice(-2000)}`);
    if (SAN) for (const m of SAN_MARKERS) if (this.stderr.includes(m)) throw new Error(this.stderr.slice(-4000));
  }

  token(role, staff) {
    const args = ['token', 'create', '--db', this.db, '--role', role];
    if (staff) args.push('--staff', staff);
    return execFileSync(BIN, args, {encoding: 'utf8'}).trim();
  }

  async api(method, p, body, token) {
    const headers = {Authorization: `Bearer ${token || this.admin}`};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.url + p, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    const text = await res.text();
    return {status: res.status, body: text ? JSON.parse(text) : null};
  }

  async ok(method, p, body) {
    const r = await this.api(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  task(fields) { return this.ok('POST', '/ops/tasks', {due_date: '2039-01-01', ...fields}); }

  /* A staff member with a password, the way a person gets one: an invite
   * (admin token), then POST /invite/SECRET as the invite page does. */
  async staffWithPassword(id, name, email, role, password) {
    await this.ok('PUT', '/ops/staff/' + id, {name, email, active: true, role});
    const {invite_url: url} = await this.ok('POST', `/ops/staff/${id}/invite`);
    const res = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json', Origin: this.url},
                                  body: JSON.stringify({password})});
    if (res.status !== 200) throw new Error(`setting ${id}'s password: ${res.status} ${await res.text()}`);
  }
  get(id) { return this.ok('GET', '/ops/tasks/' + id); }
}

export function addDays(ymd, n) {
  const d = new Date(ymd + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export async function launch() {
  return chromium.launch({executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS});
}

/* A browser context signed in with token (through POST /login, as the page
 * does), and a page in it that records script errors and CSP violations. */
export async function signedIn(browser, server, token, viewport) {
  const context = await browser.newContext({baseURL: server.url, viewport: viewport || {width: 1280, height: 900}});
  const res = await context.request.post('/login', {data: {token}, headers: {Origin: server.url}});
  if (res.status() !== 200) throw new Error('sign-in failed: ' + res.status() + ' ' + (await res.text()));
  const page = await watched(context);
  return {context, page};
}

/* A browser context signed in with email and password through the sign-in
 * page itself; the page is left on /tasks. */
export async function signedInWithPassword(browser, server, email, password, viewport) {
  const context = await browser.newContext({baseURL: server.url, viewport: viewport || {width: 1280, height: 800}});
  const page = await watched(context);
  await page.goto('/login');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', {exact: true}).fill(password);
  await page.getByRole('button', {name: 'Sign in', exact: true}).click();
  await page.waitForURL(/\/tasks$/);
  return {context, page};
}

export async function watched(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('page error: ' + e.message));
  /* an API error answer (422, 403) logs "Failed to load resource": expected; anything else
   * (a script error, a CSP refusal) is a problem */
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push('console: ' + m.text());
  });
  page.on('dialog', (d) => { page.problems.push('unexpected dialog: ' + d.message()); d.dismiss(); });
  return page;
}

export function shotPath(name) {
  mkdirSync(SHOTS, {recursive: true});
  return path.join(SHOTS, name);
}

export {readFileSync};
