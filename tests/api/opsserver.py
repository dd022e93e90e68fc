"""opsserver: start the real opstasks binary on a free loopback port with a
fresh database, and talk to it over HTTP. Shared by the black-box tests."""
import http.client
import json
import os
import signal
import subprocess
import tempfile
import time

BIN = os.environ.get("OPSTASKS_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "opstasks")
SAN = os.environ.get("OPSTASKS_SAN") == "1"
SAN_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


def run_cli(*args, check=True, env=None):
    """Runs the binary with args; returns (exit code, stdout, stderr)."""
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60,
                       env=env or child_env())
    if check and p.returncode != 0:
        raise AssertionError(f"opstasks {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.returncode, p.stdout, p.stderr


def child_env(extra=None):
    env = dict(os.environ)
    env.pop("OPSTASKS_LISTEN", None)
    env.pop("OPSTASKS_DB", None)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    if extra:
        env.update(extra)
    return env


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Server:
    """The real binary serving a fresh database on 127.0.0.1:0."""

    def __init__(self, db=None, timezone=None, sweep_interval=None, tmpdir=None):
        self.tmp = tmpdir or tempfile.mkdtemp(prefix="opstasks-test-")
        self.db = db or os.path.join(self.tmp, "tasks.db")
        self.timezone = timezone
        self.sweep_interval = sweep_interval
        self.proc = None
        self.port = None
        self._admin = None
        self._conn = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db]
        if self.timezone:
            args += ["--timezone", self.timezone]
        if self.sweep_interval:
            args += ["--sweep-interval", str(self.sweep_interval)]
        self.stderr_path = os.path.join(self.tmp, f"stderr-{time.monotonic_ns()}.log")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr,
                                     text=True, env=child_env())
        deadline = time.monotonic() + 15
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on http://"):
                break
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}: {self.read_stderr()}")
        assert line.startswith("listening on http://127.0.0.1:"), line
        self.port = int(line.strip().rsplit(":", 1)[1])
        return self

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns its exit code. SIGTERM must exit 0 and,
        under the sanitizers, leave no report."""
        if not self.proc:
            return None
        self.close_conn()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError("server did not stop within 30 s of the signal")
        self.proc.stdout.close()
        self.stderr.close()
        self.proc = None
        if sig == signal.SIGTERM:
            log = self.read_stderr()
            assert code == 0, f"exit code {code}: {log}"
            if SAN:
                for m in SAN_MARKERS:
                    assert m not in log, log
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def read_stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    # -- tokens ------------------------------------------------------------
    def token(self, role="admin", staff=None, name=None):
        args = ["token", "create", "--db", self.db, "--role", role]
        if staff:
            args += ["--staff", staff]
        if name:
            args += ["--name", name]
        _, out, _ = run_cli(*args)
        tok = out.strip()
        assert tok and "\n" not in tok
        return tok

    @property
    def admin(self):
        if not self._admin:
            self._admin = self.token("admin")
        return self._admin

    # -- HTTP --------------------------------------------------------------
    def close_conn(self):
        if self._conn:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, token="admin", headers=None, raw=None,
                content_type="application/json"):
        """One request on a kept-alive connection. body is JSON-encoded; raw
        is sent as is. token='admin' uses the admin token, None sends none."""
        h = {}
        if token == "admin":
            token = self.admin
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        if data is not None and content_type:
            h["Content-Type"] = content_type
        h.update(headers or {})
        for attempt in range(2):
            if not self._conn:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self._conn.request(method, path, body=data, headers=h)
                r = self._conn.getresponse()
                out = Response(r.status, r.getheaders(), r.read().decode())
                if (out.header("Connection") or "").lower() == "close":
                    self.close_conn()
                return out
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close_conn()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    # -- helpers -----------------------------------------------------------
    def staff(self, sid, name="Staff Member", active=True):
        r = self.put(f"/ops/staff/{sid}", {"name": name, "email": f"{sid}@example.com", "active": active})
        assert r.status in (200, 201), r
        return r.json()

    def customer(self, cid, name="Customer", owner=None):
        r = self.put(f"/ops/customers/{cid}", {"name": name, "owner_id": owner})
        assert r.status in (200, 201), r
        return r.json()

    def task(self, **fields):
        body = {"title": "A task", "due_date": "2099-01-01"}
        body.update(fields)
        r = self.post("/ops/tasks", body)
        assert r.status == 201, r
        return r.json()

    def history(self, tid):
        r = self.get(f"/ops/tasks/{tid}/history")
        assert r.status == 200, r
        return r.json()["data"]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc:
            self.stop()
