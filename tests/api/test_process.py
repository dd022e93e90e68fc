"""The process: data survives a restart and kill -9; SIGTERM and SIGINT
finish what is in flight and exit 0."""
import http.client
import signal
import threading
import time

from conftest import FUTURE, SLOW, raw_connect, run_cli


def test_data_survives_a_restart(make_server):
    s = make_server()
    s.staff("sta_r", "Rita")
    s.customer("cus_r", "Customer", owner="sta_r")
    t = s.task(title="Survivor", assignee_id="sta_r", user_id="cus_r", sla_hours=1.5)
    s.set_status(t["id"], "IN_PROGRESS")
    keyed = s.post("/ops/tasks", {"title": "keyed", "due_date": FUTURE}, headers={"Idempotency-Key": "restart-1"})
    before = s.get_task(t["id"])
    history = s.history(t["id"])
    staff = s.get("/ops/staff/sta_r").json()
    customer = s.get("/ops/customers/cus_r").json()
    stats = s.stats()
    s.stop()
    s.start()
    assert s.get_task(t["id"]) == before
    assert s.history(t["id"]) == history
    assert s.get("/ops/staff/sta_r").json() == staff
    assert s.get("/ops/customers/cus_r").json() == customer
    assert s.stats() == stats
    # tokens and idempotency keys persist too
    again = s.post("/ops/tasks", {"title": "keyed", "due_date": FUTURE}, headers={"Idempotency-Key": "restart-1"})
    assert again.status == 201 and again.json() == keyed.json()
    assert s.stats() == stats


def test_every_acknowledged_create_survives_kill_9(make_server):
    s = make_server()
    acked = []
    lock = threading.Lock()

    def client(k):
        for i in range(10):
            r = s.post("/ops/tasks", {"title": f"durable {k}.{i}", "due_date": FUTURE})
            assert r.status == 201, r
            with lock:
                acked.append(r.json())

    threads = [threading.Thread(target=client, args=(k,)) for k in range(5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60 * SLOW)
    assert len(acked) == 50
    assert s.kill9() == -signal.SIGKILL
    s.start()
    for t in acked:
        r = s.get(f"/ops/tasks/{t['id']}")
        assert r.status == 200, t["id"]
        assert r.json() == t
    assert s.stats()["counts"]["OPEN"] == 50


def test_acknowledged_patches_survive_kill_9(make_server):
    s = make_server()
    t = s.task()
    done = s.set_status(t["id"], "COMPLETED")
    s.kill9()
    s.start()
    assert s.get_task(t["id"]) == done


def test_sigterm_while_requests_are_in_flight_exits_0_and_keeps_what_it_acknowledged(make_server):
    s = make_server()
    acked, statuses = [], []
    lock = threading.Lock()
    go = threading.Event()

    def client():
        for i in range(1000):
            try:
                r = s.post("/ops/tasks", {"title": f"inflight {i}", "due_date": FUTURE})
            except (OSError, http.client.HTTPException):
                return  # the server has gone (or stop() closed this connection): fine
            with lock:
                statuses.append(r.status)
                if r.status == 201:
                    acked.append(r.json()["id"])
                    if len(acked) >= 20:
                        go.set()
            if r.status != 201:
                return

    threads = [threading.Thread(target=client) for _ in range(4)]
    for th in threads:
        th.start()
    assert go.wait(30 * SLOW)
    assert s.stop() == 0
    for th in threads:
        th.join(30 * SLOW)
        assert not th.is_alive()
    assert set(statuses) <= {201, 503}, set(statuses)
    s.start()
    for tid in acked:
        assert s.get(f"/ops/tasks/{tid}").status == 200, tid


def test_sigint_also_stops_cleanly(make_server):
    s = make_server()
    s.task()
    s.close_connections()
    s.proc.send_signal(signal.SIGINT)
    assert s.proc.wait(15 * SLOW) == 0
    s.proc.stdout.close()
    s.check_sanitizer(s.read_stderr())
    s.proc = None


def test_sigterm_is_not_held_up_by_a_stalled_upload(make_server):
    s = make_server()
    stalled = raw_connect(s.port)
    try:
        stalled.sendall(b"POST /ops/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 1000\r\n\r\n{\"tit")
        s.healthy()
        t0 = time.monotonic()
        s.stop()
        assert time.monotonic() - t0 < 12 * SLOW
    finally:
        stalled.close()


def test_a_second_server_on_the_same_port_fails_with_a_clear_message(make_server, tmp_path):
    s = make_server()
    p = run_cli("serve", "--listen", f"127.0.0.1:{s.port}", "--db", tmp_path / "other.db", timeout=15)
    assert p.returncode not in (0, None) and p.stderr.strip()
    s.healthy()
