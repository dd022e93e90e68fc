"""Black-box tests of the process: command line, restarts, crash durability,
the sweeper, graceful shutdown, and input no client should be able to crash
it with."""
import http.client
import json
import os
import signal
import socket
import threading
import time

import pytest

from opsserver import BIN, Server, run_cli


def raw_exchange(port, data, read=True, timeout=10):
    """Sends raw bytes on a new connection; returns what came back."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and b"Content-Length: " in out:
                head, _, body = out.partition(b"\r\n\r\n")
                n = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(body) >= n:
                    break
        return out
    finally:
        s.close()


def healthy(server):
    server.close_conn()
    r = server.get("/healthz", token=None)
    assert r.status == 200, r


# ---- command line ------------------------------------------------------------

def test_help_and_version_exit_zero():
    code, out, _ = run_cli("--help")
    assert code == 0 and "serve" in out and "token create" in out
    code, out, _ = run_cli("serve", "--help")
    assert code == 0 and "--listen" in out and "OPSTASKS_TIMEZONE" in out
    code, out, _ = run_cli("token", "create", "--help")
    assert code == 0 and "--role" in out
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith("opstasks ")


@pytest.mark.parametrize("args", [
    ["serve", "--bogus"], ["serve", "--sweep-interval", "abc"], ["serve", "--sweep-interval", "0"],
    ["serve", "--timezone", "Not/AZone"], ["serve", "--timezone", "../../etc/passwd"],
    ["serve", "--listen", "nonsense"], ["serve", "--listen", "127.0.0.1:99999"], ["serve", "--db"],
    ["frobnicate"], ["token", "create", "--db", "x.db", "--role", "king"], ["token", "create", "--role", "admin"],
    ["token", "create", "--db", "x.db", "--role", "admin", "--staff", "bob"], ["token", "destroy"],
])
def test_bad_command_lines_exit_2_with_one_line_on_stderr(tmp_path, args):
    code, out, err = run_cli(*[a if a != "x.db" else str(tmp_path / "x.db") for a in args], check=False)
    assert code == 2, (args, code, err)
    assert len(err.strip().splitlines()) == 1 and err.startswith("opstasks: "), err
    assert out == ""


def test_token_create_prints_only_the_token_and_stores_a_hash(tmp_path):
    db = str(tmp_path / "t.db")
    _, out, _ = run_cli("token", "create", "--db", db, "--role", "agent", "--name", "desk")
    tok = out.strip()
    assert out == tok + "\n" and tok.startswith("ops_") and len(tok) > 40
    with open(db, "rb") as f:
        assert tok.encode() not in f.read()


def test_init_prints_a_first_admin_token_once(tmp_path):
    db = str(tmp_path / "i.db")
    _, out, _ = run_cli("init", "--db", db)
    assert "curl" in out and "Authorization: Bearer ops_" in out
    tok = [w for w in out.split() if w.startswith("ops_")][0]
    _, again, _ = run_cli("init", "--db", db)
    assert "ops_" not in again
    with Server(db=db, tmpdir=str(tmp_path)) as s:
        assert s.get("/ops/tasks", token=tok).status == 200


def test_environment_variables_configure_serve(tmp_path):
    import subprocess
    from opsserver import child_env
    db = str(tmp_path / "env.db")
    env = child_env({"OPSTASKS_LISTEN": "127.0.0.1:0", "OPSTASKS_DB": db, "OPSTASKS_TIMEZONE": "Asia/Tokyo",
                     "OPSTASKS_SWEEP_INTERVAL": "5"})
    p = subprocess.Popen([BIN, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        assert os.path.exists(db)
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0
        err = p.stderr.read()
        assert "Asia/Tokyo" in err
        p.stdout.close()
        p.stderr.close()


# ---- restarts and durability ---------------------------------------------------

def test_data_survives_a_restart(fresh):
    s = fresh()
    s.staff("sta_r")
    t = s.task(title="Survivor", assignee_id="sta_r")
    s.patch(f"/ops/tasks/{t['id']}", {"status": "IN_PROGRESS"})
    before = s.get(f"/ops/tasks/{t['id']}").json()
    s.stop()
    s.start()
    assert s.get(f"/ops/tasks/{t['id']}").json() == before
    assert len(s.history(t["id"])) == 2
    assert s.get("/ops/staff/sta_r").status == 200


def test_every_acknowledged_create_survives_kill_9(fresh):
    s = fresh()
    ids = []
    lock = threading.Lock()

    def client(n):
        w = Server(db=s.db, tmpdir=s.tmp)
        w.port, w._admin = s.port, s.admin
        for i in range(n):
            r = w.post("/ops/tasks", {"title": f"durable {i}", "due_date": "2099-03-01"})
            assert r.status == 201
            with lock:
                ids.append(r.json()["id"])
        w.close_conn()

    threads = [threading.Thread(target=client, args=(25,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(ids) == 100
    assert s.kill9() == -signal.SIGKILL
    s.start()
    for tid in ids:
        assert s.get(f"/ops/tasks/{tid}").status == 200, tid


def test_sweeper_writes_the_overdue_move_exactly_once(fresh):
    s = fresh(sweep_interval=1)
    t = s.task(due_date="2099-01-01")
    # moving the due date into the past records it at once (the write sees it)
    s.patch(f"/ops/tasks/{t['id']}", {"due_date": "2020-01-01"})
    # a task that became overdue without a write: write it straight into the
    # database as if the day had passed, then let the sweeper find it
    u = s.task(title="Quiet", due_date="2099-01-02")
    s.stop()
    import sqlite3
    with sqlite3.connect(s.db) as db:
        db.execute("UPDATE tasks SET due_date = '2020-01-02' WHERE id = ?", (u["id"],))
    s.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        h = s.history(u["id"])
        if any(e["actor"] == "system" for e in h):
            break
        time.sleep(0.1)
    time.sleep(2.5)  # two more sweeps must add nothing
    h = s.history(u["id"])
    system = [e for e in h if e["actor"] == "system"]
    assert len(system) == 1, h
    assert (system[0]["type"], system[0]["from"], system[0]["to"]) == ("status_changed", "OPEN", "OVERDUE")
    assert len([e for e in s.history(t["id"]) if e["actor"] == "system"]) == 1


def test_sigterm_finishes_requests_in_flight_and_exits_0(fresh):
    s = fresh()
    results = []

    def client():
        w = Server(db=s.db, tmpdir=s.tmp)
        w.port, w._admin = s.port, s.admin
        for i in range(200):
            try:
                r = w.post("/ops/tasks", {"title": f"inflight {i}", "due_date": "2099-03-01"})
            except OSError:
                break
            results.append(r.status)
            if r.status != 201:
                break
        w.close_conn()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    assert s.stop() == 0
    for t in threads:
        t.join(timeout=30)
    # every answer was a real one (201), or the server was already closed
    assert results and all(code in (201, 503) for code in results), set(results)


# ---- hostile input ------------------------------------------------------------

def test_truncated_and_garbage_requests_do_not_hurt_the_server(server):
    for data in [b"GET /ops/tas", b"GET / HTTP/1.1\r\nHost: x\r\n", b"\x00\x01\x02\xff" * 100,
                 b"POST /ops/tasks HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"ti",
                 b"GET /ops/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                 b"GET /healthz\x00evil HTTP/1.1\r\nHost: x\r\n\r\n", b"\r\n\r\n\r\n"]:
        raw_exchange(server.port, data, read=False)
        healthy(server)


def test_huge_headers_are_refused_without_harm(server):
    out = raw_exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
    assert out == b"" or out.split(b" ")[1][:1] == b"4", out[:100]
    healthy(server)


def test_nul_bytes_in_headers_and_body_are_rejected(server):
    body = b'{"title": "a\x00b", "due_date": "2099-01-01"}'
    out = raw_exchange(server.port, b"POST /ops/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                       + server.admin.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert b" 400 " in out.split(b"\r\n")[0] and b"bad_json" in out, out[:200]
    healthy(server)


def test_deep_nesting_is_a_clear_400(server):
    r = server.post("/ops/tasks", raw="[" * 100000)
    assert r.status == 400 and r.json()["error"]["code"] == "bad_json"
    r = server.post("/ops/tasks", raw='{"a":' * 50000 + "1" + "}" * 50000)
    assert r.status == 400
    healthy(server)


def test_a_100_mb_body_is_refused_at_once_with_413(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        s.sendall(b"POST /ops/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server.admin.encode()
                  + b"\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
        sent = 0
        try:
            while sent < 4 * 1024 * 1024:  # the server answers long before 100 MB
                s.sendall(b"x" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and b"\r\n\r\n" not in out:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        assert b" 413 " in out.split(b"\r\n")[0], out[:200]
    finally:
        s.close()
    healthy(server)


def test_a_chunked_body_over_1_mib_gets_413(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body = json.dumps({"title": "t", "due_date": "2099-01-01", "description": "x" * (2 * 1024 * 1024)})

    def chunks():
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536].encode()

    conn.request("POST", "/ops/tasks", body=chunks(), encode_chunked=True,
                 headers={"Authorization": f"Bearer {server.admin}", "Content-Type": "application/json",
                          "Transfer-Encoding": "chunked"})
    r = conn.getresponse()
    assert r.status == 413 and json.loads(r.read())["error"]["code"] == "payload_too_large"
    conn.close()
    healthy(server)


def test_a_body_just_under_1_mib_is_read_in_full(server):
    r = server.post("/ops/tasks", raw=json.dumps({"title": "t", "due_date": "2099-01-01",
                                                   "description": "x" * 10000, "pad": "p" * 1_000_000}))
    assert r.status == 422 and r.json()["error"]["field"] == "pad"


def test_a_slow_client_does_not_hold_up_others(server):
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        slow.sendall(b"POST /ops/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"tit")
        started = time.monotonic()
        for _ in range(20):
            healthy(server)
        assert time.monotonic() - started < 10
    finally:
        slow.close()


def test_many_connections_opened_and_dropped(server):
    socks = []
    try:
        for _ in range(200):
            socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        for i, s in enumerate(socks):
            if i % 2:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    finally:
        for s in socks:
            s.close()
    healthy(server)
