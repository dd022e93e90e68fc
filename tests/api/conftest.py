"""Black-box API tests: fixtures that run the real opstasks binary.

`Server` starts `$OPSTASKS_BIN serve` on 127.0.0.1:0 with a database in a
temporary folder, reads the port from its `listening on` line, talks HTTP/1.1
to it with keep-alive (one connection per thread), and stops it with SIGTERM,
asserting exit code 0 and, under the sanitizers (OPSTASKS_SAN=1), a clean
stderr. `server` is one process shared by a whole test module (tests there
use their own ids); `make_server` gives a test its own processes.
"""
import datetime
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
import zoneinfo

import pytest

BIN = os.environ.get("OPSTASKS_BIN") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build", "opstasks"))
SAN = os.environ.get("OPSTASKS_SAN") == "1"
SAN_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")
# Timing allowances grow under the sanitizers (about 3x slower).
SLOW = 3 if SAN else 1

# a day ahead within the 20 years a due date may lie ahead
FUTURE = f"{datetime.date.today().year + 10}-06-05"
PAST = "2020-01-01"
TASK_FIELDS = ["id", "title", "description", "priority", "status", "work_status", "due_date", "sla_hours",
               "assignee_id", "user_id", "source", "rule_id", "event_id", "created_at", "updated_at", "started_at",
               "completed_at", "cancelled_at", "sla_due_at", "sla_breached", "sla_at_risk",
               "sla_started_at", "waiting_on_customer", "sla_paused_at", "sla_paused_seconds", "version",
               "renewal_id", "comment_count"]  # renewal_id: the renewal that made it; rule_id, event_id: the rule and event that did
STATUSES = ["OPEN", "IN_PROGRESS", "OVERDUE", "COMPLETED", "CANCELLED"]


def child_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSTASKS_")}
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1"
    if extra:
        env.update(extra)
    return env


def run_cli(*args, env=None, timeout=30):
    """Runs the binary once; returns the CompletedProcess (text mode)."""
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=timeout * SLOW,
                          env=child_env(env), stdin=subprocess.DEVNULL)


def today_in(tz):
    return datetime.datetime.now(zoneinfo.ZoneInfo(tz)).date()


def parse_ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


def all_task_ids(server):
    """The ids of every task, in every status, read page by page (bounded)."""
    ids, cursor = set(), None
    for _ in range(1000):
        page = server.get("/ops/tasks?limit=500&status=all" + (f"&cursor={cursor}" if cursor else "")).json()
        ids |= {t["id"] for t in page["data"]}
        cursor = page["next_cursor"]
        if not cursor:
            return ids
    raise AssertionError("over 1,000 pages of tasks")


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Polls pred() until it returns something truthy; bounded in time and count."""
    deadline = time.monotonic() + timeout * SLOW
    for _ in range(int(timeout * SLOW / interval) + 2):
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout * SLOW} s waiting for {what}")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body  # bytes

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:400]!r}>"


ADMIN = object()  # token=ADMIN: the server's admin token (the default)

# OPSTASKS_TEST_PG=SOCKET_DIR: run the servers on PostgreSQL, each on a new
# database of the throwaway cluster listening on that Unix socket directory
# (scripts/with-pg.sh makes one). A database is dropped once the test (or,
# for a module's shared server, the module) that made it is over, so a full
# run does not fill the disk.
PG_SOCKET = os.environ.get("OPSTASKS_TEST_PG")
ON_PG = bool(PG_SOCKET)
_pg_dbs = iter(range(1, 1 << 30))
_pg_admin = None
# the databases made during the running test (None between tests), and those
# made outside any test (module fixtures), dropped at the end of the session
_test_dbs = None
_session_dbs = []


def sqlite_only(why):
    """Marks a test of SQLite's own files (the .db file, its locks, backup and
    check, a full disk under it), skipped on the PostgreSQL run; why says
    what covers the same ground there, or that nothing does yet."""
    return pytest.mark.skipif(ON_PG, reason=f"SQLite files only: {why}")


def is_pg_uri(db):
    return str(db).lower().startswith(("postgres://", "postgresql://"))


def pg_admin():
    """One autocommit connection to the cluster's postgres database, for
    CREATE and DROP DATABASE (quicker than running createdb each time)."""
    global _pg_admin
    if _pg_admin is None or _pg_admin.closed:
        import psycopg2
        _pg_admin = psycopg2.connect(host=PG_SOCKET, user="postgres", dbname="postgres", connect_timeout=30)
        _pg_admin.autocommit = True
    return _pg_admin


def pg_uri(name):
    return f"postgresql:///{name}?host={PG_SOCKET}&user=postgres"


def pg_name(uri):
    return str(uri).split("///", 1)[1].split("?", 1)[0]


def pg_create_db(template=None):
    """A new database of the test cluster (a copy of template, a URI, when
    given); its URI. Dropped with the test or session that made it."""
    name = f"t{os.getpid()}_{next(_pg_dbs)}"
    with pg_admin().cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{pg_name(template)}"' if template else ""))
    (_test_dbs if _test_dbs is not None else _session_dbs).append(name)
    return pg_uri(name)


def pg_drop_db(name):
    """Drops a database, ending any session still on it (a server a test left
    running, or killed, must not keep its database)."""
    with pg_admin().cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_db_uri(tmpdir):
    """A new, empty database for one server: a file in tmpdir on SQLite, a
    new database of the test cluster on PostgreSQL."""
    if not PG_SOCKET:
        return os.path.join(str(tmpdir), "x.db")
    return pg_create_db()


def copy_db(db, tmpdir):
    """A copy of a stopped server's database, for a test to change: a file
    in tmpdir on SQLite, a new database made from it on PostgreSQL."""
    if is_pg_uri(db):
        return pg_create_db(template=db)
    out = os.path.join(str(tmpdir), "x.db")
    shutil.copy(db, out)
    return out


def db_query(db, sql, params=(), many=False):
    """Runs one statement straight on a database (a Server's, or a --db
    value), as its own committed transaction, on either backend: sql uses
    `?` placeholders (SQLite's; turned into psycopg2's %s on PostgreSQL);
    many=True runs it once per row of params (on PostgreSQL in
    transactions of 1,000 rows). Returns the rows of a query
    as a list of tuples (blobs as bytes), [] for anything else. For
    seeding and inspecting a server that is stopped, or only reads."""
    if isinstance(db, Server):
        db = db.db
    if is_pg_uri(db):
        import psycopg2
        import psycopg2.extras
        sql = sql.replace("%", "%%").replace("?", "%s")
        # many rows go 1,000 a transaction, an INSERT's as one multi-row
        # VALUES: the schema's triggers update one task_counts row per task,
        # and PostgreSQL takes quadratic time over one row updated 60,000
        # times in one transaction (56 s, against 4 s in chunks)
        values = re.fullmatch(r"(?s)(.*\bVALUES\s*)(\([^()]*\))\s*", sql) if many else None
        c = psycopg2.connect(str(db), connect_timeout=30)
        try:
            if many:
                params = list(params)
                for k in range(0, len(params), 1000):
                    with c, c.cursor() as cur:
                        if values:
                            psycopg2.extras.execute_values(cur, values.group(1) + "%s", params[k:k + 1000],
                                                           template=values.group(2), page_size=1000)
                        else:
                            psycopg2.extras.execute_batch(cur, sql, params[k:k + 1000], page_size=500)
                return []
            with c, c.cursor() as cur:
                cur.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
        finally:
            c.close()
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]
    import sqlite3
    c = sqlite3.connect(str(db), timeout=30)
    try:
        with c:
            cur = c.executemany(sql, params) if many else c.execute(sql, params)
            rows = cur.fetchall()
    finally:
        c.close()
    return rows


@pytest.fixture(autouse=True)
def _drop_test_dbs():
    """Drops the PostgreSQL databases a test made, after its own fixtures
    (make_server's servers) are torn down; autouse fixtures are set up
    first, so they are torn down last."""
    global _test_dbs
    if not PG_SOCKET:
        yield
        return
    _test_dbs = []
    try:
        yield
    finally:
        made, _test_dbs = _test_dbs, None
        for name in made:
            pg_drop_db(name)


def pytest_configure(config):
    config.addinivalue_line("markers", "serial: timing-bound; make runs these after the parallel part, two "
                            "modules at a time (pytest -n 4 -m 'not serial', then -n 2 -m serial)")


def pytest_sessionfinish(session, exitstatus):
    if PG_SOCKET and _session_dbs:
        for name in _session_dbs:
            try:
                pg_drop_db(name)
            except Exception:
                pass


class Server:
    """The real binary serving a database in tmpdir on a free loopback port."""

    def __init__(self, tmpdir, db=None, timezone=None, sweep_interval=None, extra_args=None, ssl_context=None,
                 extra_env=None):
        self.tmpdir = str(tmpdir)
        self.db = db or new_db_uri(self.tmpdir)
        self.timezone = timezone
        self.sweep_interval = sweep_interval
        self.extra_args = list(extra_args or [])  # further serve flags, e.g. --metrics-listen
        self.ssl_context = ssl_context  # direct HTTPS (--tls-cert): talk TLS, trusting this context
        self.extra_env = dict(extra_env or {})  # e.g. OPSTASKS_TRUSTED_PROXY
        self.proc = None
        self.port = None
        self._admin = None
        self._local = threading.local()
        self._conns = []
        self._conns_lock = threading.Lock()
        self._n = 0

    # ---- process -------------------------------------------------------------
    def start(self, timezone=None):
        if timezone:
            self.timezone = timezone
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db]
        if self.timezone:
            args += ["--timezone", self.timezone]
        if self.sweep_interval:
            args += ["--sweep-interval", str(self.sweep_interval)]
        args += self.extra_args
        self._n += 1
        self.stderr_path = os.path.join(self.tmpdir, f"stderr-{self._n}.log")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                         env=child_env(self.extra_env))
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + 10 * SLOW
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"no 'listening on' line within {10 * SLOW} s: {self.read_stderr()}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.proc.wait(5)
                    raise AssertionError(f"server exited {self.proc.returncode}: {self.read_stderr()}")
                buf += chunk
        line = buf.split(b"\n")[0].decode()
        self.stdout_rest = buf.split(b"\n", 1)[1]  # what followed the first line (e.g. the metrics listener's address)
        prefix = f"listening on {'https' if self.ssl_context else 'http'}://127.0.0.1:"
        assert line.startswith(prefix), line
        self.port = int(line[len(prefix):])
        return self

    def stop(self):
        """SIGTERM; the server must exit 0 within 15 s with no sanitizer report."""
        assert self.proc, "not running"
        self.close_connections()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(15 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"server did not exit within {15 * SLOW} s of SIGTERM")
        finally:
            self.proc.stdout.close()
        self.proc = None
        log = self.read_stderr()
        assert code == 0, f"exit code {code} after SIGTERM: {log[-3000:]}"
        self.check_sanitizer(log)
        return code

    def kill9(self):
        assert self.proc
        self.close_connections()
        self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(10)
        self.proc.stdout.close()
        self.proc = None
        self.check_sanitizer(self.read_stderr())
        return code

    @staticmethod
    def check_sanitizer(log):
        if SAN:
            for m in SAN_MARKERS:
                assert m not in log, log[-5000:]

    def read_stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    # ---- tokens --------------------------------------------------------------
    def token(self, role="admin", staff=None, name=None):
        args = ["token", "create", "--db", self.db, "--role", role]
        if staff:
            args += ["--staff", staff]
        if name:
            args += ["--name", name]
        p = run_cli(*args)
        assert p.returncode == 0, p.stderr
        tok = p.stdout.strip()
        assert tok and p.stdout == tok + "\n", p.stdout
        return tok

    @property
    def admin(self):
        if not self._admin:
            self._admin = self.token("admin", name="tests")
        return self._admin

    # ---- HTTP ----------------------------------------------------------------
    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            c = self.new_connection(30)
            self._local.conn = c
            with self._conns_lock:
                self._conns.append(c)
        return c

    def new_connection(self, timeout):
        if self.ssl_context:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout * SLOW,
                                               context=self.ssl_context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout * SLOW)

    def _drop_conn(self):
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    def close_connections(self):
        with self._conns_lock:
            for c in self._conns:
                c.close()
            self._conns.clear()
        self._local = threading.local()

    def request(self, method, path, body=None, token=ADMIN, headers=None, raw=None,
                content_type="application/json"):
        """One request on this thread's kept-alive connection. body is sent as
        JSON; raw (str or bytes) as is. token=None sends no Authorization."""
        h = {}
        if token is ADMIN:
            token = self.admin
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
        if data is not None and content_type:
            h["Content-Type"] = content_type
        h.update(headers or {})
        for attempt in range(2):
            c = self._conn()
            try:
                c.request(method, path, body=data, headers=h)
                r = c.getresponse()
                out = Response(r.status, r.getheaders(), r.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server may close an idle kept-alive connection: one retry
                self._drop_conn()
                if attempt:
                    raise
                continue
            if (out.header("Connection") or "").lower() == "close":
                self._drop_conn()
            return out
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    # ---- fixtures of data ------------------------------------------------------
    def staff(self, sid, name="Staff Member", active=True, **kw):
        r = self.put(f"/ops/staff/{sid}", {"name": name, "email": f"{sid}@example.com", "active": active}, **kw)
        assert r.status in (200, 201), r
        return r.json()

    def customer(self, cid, name="Customer", owner=None):
        r = self.put(f"/ops/customers/{cid}", {"name": name, "owner_id": owner})
        assert r.status in (200, 201), r
        return r.json()

    def task(self, token=ADMIN, **fields):
        body = {"title": "A task", "due_date": FUTURE}
        body.update(fields)
        r = self.post("/ops/tasks", body, token=token)
        assert r.status == 201, r
        return r.json()

    def get_task(self, tid):
        r = self.get(f"/ops/tasks/{tid}")
        assert r.status == 200, r
        return r.json()

    def set_status(self, tid, status):
        r = self.patch(f"/ops/tasks/{tid}", {"status": status})
        assert r.status == 200, r
        return r.json()

    def history(self, tid):
        r = self.get(f"/ops/tasks/{tid}/history")
        assert r.status == 200, r
        return r.json()["data"]

    def stats(self, query=""):
        r = self.get("/ops/tasks/stats" + (f"?{query}" if query else ""))
        assert r.status == 200, r
        return r.json()

    def healthy(self):
        """A new connection still gets GET /healthz answered."""
        c = self.new_connection(10)
        try:
            c.request("GET", "/healthz")
            r = c.getresponse()
            assert r.status == 200 and json.loads(r.read()) == {"status": "ok"}
        finally:
            c.close()
        assert self.proc.poll() is None, "server died"


def assert_error(r, status, code, field=None):
    """r is an error answer of the documented shape; returns the error object."""
    assert r.status == status, r
    assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    e = body["error"]
    assert e["code"] == code, r
    assert isinstance(e["message"], str) and e["message"], r
    assert set(e) <= {"code", "message", "field"}, e
    if field is not None:
        assert e.get("field") == field, r
    return e


# ---- raw sockets ---------------------------------------------------------------

def raw_connect(port, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)


def read_response_head(sock, timeout=10):
    """Reads until the end of the response headers, EOF or timeout; returns
    the bytes read (possibly empty when the server just closed)."""
    out = b""
    deadline = time.monotonic() + timeout * SLOW
    while b"\r\n\r\n" not in out and time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


def status_of(head):
    line = head.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    assert len(parts) >= 2 and parts[0].startswith(b"HTTP/1."), head[:200]
    return int(parts[1])


def read_full_response(sock, timeout=10):
    """Reads one response with a Content-Length body; returns (status, headers, body)."""
    head = read_response_head(sock, timeout)
    assert b"\r\n\r\n" in head, head[:300]
    h, _, body = head.partition(b"\r\n\r\n")
    headers = {}
    for line in h.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode()
    n = int(headers.get("content-length", "0"))
    deadline = time.monotonic() + timeout * SLOW
    while len(body) < n and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status_of(head), headers, body


# ---- fixtures ------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("srv")).start()
    yield s
    if s.proc:
        s.stop()
    drop_module_db(s.db)


def drop_module_db(db):
    """Drops the PostgreSQL database of a module's shared server once it is
    stopped (else the session's end would)."""
    if is_pg_uri(db) and pg_name(db) in _session_dbs:
        _session_dbs.remove(pg_name(db))
        pg_drop_db(pg_name(db))


@pytest.fixture
def make_server(tmp_path):
    """make_server(**kw) starts a new server (own database unless db= is given)."""
    made = []

    def make(**kw):
        d = tmp_path / f"s{len(made)}"
        d.mkdir()
        s = Server(d, **kw).start()
        made.append(s)
        return s

    yield make
    for s in made:
        if s.proc:
            s.stop()


# ---- staff accounts: password sign-in and cookie sessions ------------------------

def cookies_of(r):
    """{name: value} of a response's Set-Cookie headers."""
    out = {}
    for k, v in r.headers:
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            out[name] = rest.partition(";")[0]
    return out


def sign_in(server, email=None, password=None, token=None, client=None, headers=None):
    """POST /login from the server's own origin, with {"email","password"}
    or {"token"}; client, behind a trusted proxy, is sent as X-Forwarded-For.
    Returns (response, {cookie name: value})."""
    h = {"Origin": f"http://127.0.0.1:{server.port}"}
    if client:
        h["X-Forwarded-For"] = client
    h.update(headers or {})
    body = {"token": token} if token is not None else {"email": email, "password": password}
    r = server.post("/login", body, token=None, headers=h)
    return r, cookies_of(r)


def session_headers(server, c, csrf=True, client=None, headers=None):
    """The headers of a browser request on the cookie session c (cookies_of's
    dict): the cookies, and for writes the CSRF token and our Origin."""
    h = {"Cookie": f"opstasks_session={c['opstasks_session']}; opstasks_csrf={c['opstasks_csrf']}"}
    if csrf:
        h["X-CSRF-Token"] = c["opstasks_csrf"]
        h["Origin"] = f"http://127.0.0.1:{server.port}"
    if client:
        h["X-Forwarded-For"] = client
    h.update(headers or {})
    return h


def invite_secret(server, sid, token=ADMIN):
    """POST /ops/staff/{sid}/invite; returns (secret, the answer's body)."""
    r = server.post(f"/ops/staff/{sid}/invite", None, token=token)
    assert r.status == 201, r
    body = r.json()
    return body["invite_url"].rsplit("/invite/", 1)[1], body


def accept_invite(server, secret, password, client=None, headers=None):
    """POST /invite/SECRET {"password"}; returns (response, cookies)."""
    h = {"Origin": f"http://127.0.0.1:{server.port}"}
    if client:
        h["X-Forwarded-For"] = client
    h.update(headers or {})
    r = server.post(f"/invite/{secret}", {"password": password}, token=None, headers=h)
    return r, cookies_of(r)


def account(server, sid, password, name=None, email=None, role=None, client=None):
    """A staff member with a password (PUT, invite, the invite taken);
    returns the cookies of the session the invite opened."""
    body = {"name": name or sid, "email": email or f"{sid}@example.com", "active": True}
    if role:
        body["role"] = role
    r = server.put(f"/ops/staff/{sid}", body)
    assert r.status in (200, 201), r
    secret, _ = invite_secret(server, sid)
    r, c = accept_invite(server, secret, password, client=client)
    assert r.status == 200, r
    return c


def sqlite_undo_sla_clock(s):
    """Undoes SQLite's migration 17 (SLA clocks) on a stopped server's file:
    its columns, indexes and table (and 21's index of them), and the SLA report's index as 004 made
    it, for tests of upgrades from before a migration under it (ADD COLUMN
    cannot run twice)."""
    db_query(s, "DROP INDEX tasks_sla_risk_unrecorded")
    db_query(s, "DROP INDEX tasks_by_sla_due")
    # migration 21's index names the clock's columns; the active tasks'
    # index it replaced comes back as 001 made it
    db_query(s, "DROP INDEX IF EXISTS tasks_sla_clock")
    db_query(s, "CREATE INDEX IF NOT EXISTS tasks_sla_active ON tasks (sla_due_at) "
                "WHERE sla_due_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS')")
    for col in ("sla_started_at", "sla_paused_at", "sla_paused_ms", "sla_risk_recorded", "sla_by_policy"):
        db_query(s, f"ALTER TABLE tasks DROP COLUMN {col}")
    db_query(s, "DROP TABLE sla_policy")
    db_query(s, "CREATE INDEX tasks_by_sla_due ON tasks (sla_due_at, status, created_at, completed_at, prio, "
                "source, assignee_id, user_id) WHERE sla_due_at IS NOT NULL")


def sqlite_back_to_migration_10(s):
    """Undoes SQLite's migration 11 (staff accounts) on a stopped server's
    file: its tables, indexes and columns, and the sessions table as 007
    made it (empty), for tests of upgrades from before it. The later
    migrations go first: 17 (SLA clocks), 15 (views), 13 (search), 12 (comments)."""
    sqlite_undo_sla_clock(s)
    for t in ("views", "search_tasks", "search_docs", "search_names"):
        db_query(s, f"DROP TABLE IF EXISTS {t}")
    db_query(s, "DROP TABLE task_comments")
    db_query(s, "ALTER TABLE tasks DROP COLUMN comment_count")
    for t in ("invites", "login_failures", "audit_log"):
        db_query(s, f"DROP TABLE {t}")
    db_query(s, "DROP INDEX staff_by_email")
    db_query(s, "DROP INDEX tokens_by_staff")
    for col in ("role", "password_hash", "password_changed_at", "last_login_at"):
        db_query(s, f"ALTER TABLE staff DROP COLUMN {col}")
    for col in ("expires_at", "last_used_at", "revoked_at", "created_by"):
        db_query(s, f"ALTER TABLE tokens DROP COLUMN {col}")
    db_query(s, "DROP TABLE sessions")
    db_query(s, "CREATE TABLE sessions (hash BLOB PRIMARY KEY, token_id TEXT NOT NULL REFERENCES tokens(id) "
                "ON DELETE CASCADE, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID")
    db_query(s, "CREATE INDEX sessions_expires_at ON sessions (expires_at)")
    db_query(s, "DELETE FROM schema_migrations WHERE version >= 11")
