"""Crash loop: concurrent creates (with and without Idempotency-Key), PATCHes
with If-Match, events that make tasks through the default document.rejected
rule, and an `opstasks import renewals` run alongside, against the real
server, killed with -9 at a random moment, CRASH_ROUNDS times (default 5;
`make crash` runs 50). After each kill and restart: every acknowledged write
is there and unchanged, nothing refused or never acknowledged half-exists,
PRAGMA integrity_check is ok (SQLite) and the stats totals equal a count of the rows.

The kill delays come from CRASH_SEED (printed; set it to replay a failure).
"""
import datetime
import http.client
import json
import os
import random
import subprocess
import threading
import time

from conftest import BIN, FUTURE, SLOW, STATUSES, Server, child_env, db_query, is_pg_uri

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "5"))
# about 0.3-1 s of import under the load: the kill lands inside it often
IMPORT_ROWS = 20000
CUSTOMER = "cus_crash"
FIGURES = {"rounds": 0, "killed_during_import": 0, "creates": 0, "keyed_creates": 0, "patches": 0, "events": 0, "event_tasks": 0,
           "import_rows": 0, "unacknowledged": 0}


class Client:
    """One connection, no retries: a request whose answer did not arrive is
    `None` (the server may or may not have committed it)."""

    def __init__(self, port, token):
        self.port, self.token, self.c = port, token, None

    def request(self, method, path, body=None, headers=None):
        h = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        h.update(headers or {})
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20 * SLOW)
            self.c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
            r = self.c.getresponse()
            return r.status, json.loads(r.read() or b"null")
        except (OSError, http.client.HTTPException):
            if self.c:
                self.c.close()
            self.c = None
            return None

    def close(self):
        if self.c:
            self.c.close()


class Load:
    """What the clients sent and what each was answered, for one round."""

    def __init__(self, rnd, port, token):
        self.rnd, self.port, self.token = rnd, port, token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.creates = []  # (title, answer or None)
        self.keyed = []  # (key, body, answer or None)
        self.chains = {}  # task id -> (last acknowledged task, an unanswered PATCH followed)
        self.events = []  # (body, status, answer or None)
        self.bad = []  # answers that should never happen

    def answered(self, what, res, ok):
        if res is not None and res[0] not in ok:
            with self.lock:
                self.bad.append((what, res))

    def plain_creates(self, k):
        cl = Client(self.port, self.token)
        for i in range(100000):
            if self.stop.is_set():
                break
            title = f"r{self.rnd} plain {k}.{i}"
            res = cl.request("POST", "/ops/tasks", {"title": title, "due_date": FUTURE, "priority": "LOW"})
            self.answered(title, res, (201,))
            with self.lock:
                self.creates.append((title, res[1] if res and res[0] == 201 else None))
            if res is None:
                break
        cl.close()

    def keyed_creates(self):
        cl = Client(self.port, self.token)
        for i in range(100000):
            if self.stop.is_set():
                break
            key = f"r{self.rnd}-key-{i}"
            body = {"title": f"r{self.rnd} keyed {i}", "due_date": FUTURE, "description": f"key {key}"}
            res = cl.request("POST", "/ops/tasks", body, {"Idempotency-Key": key})
            self.answered(key, res, (201,))
            with self.lock:
                self.keyed.append((key, body, res[1] if res and res[0] == 201 else None))
            if res is None:
                break
        cl.close()

    def patches(self):
        cl = Client(self.port, self.token)
        for i in range(100000):
            if self.stop.is_set():
                break
            res = cl.request("POST", "/ops/tasks", {"title": f"r{self.rnd} patched {i}", "due_date": FUTURE})
            self.answered("patched create", res, (201,))
            if not res or res[0] != 201:
                break
            t = res[1]
            with self.lock:
                self.chains[t["id"]] = (t, False)
            for change in ({"status": "IN_PROGRESS"}, {"description": f"step {i}"}, {"status": "COMPLETED"}):
                res = cl.request("PATCH", f"/ops/tasks/{t['id']}", change, {"If-Match": f'"{t["version"]}"'})
                self.answered(f"patch {t['id']}", res, (200,))
                if not res or res[0] != 200:
                    with self.lock:
                        self.chains[t["id"]] = (t, res is None)
                    break
                t = res[1]
                with self.lock:
                    self.chains[t["id"]] = (t, False)
            if res is None:
                break
        cl.close()

    def post_events(self):
        cl = Client(self.port, self.token)
        for i in range(100000):
            if self.stop.is_set():
                break
            body = {"id": f"evt_r{self.rnd}_{i}", "type": "document.rejected", "user_id": CUSTOMER,
                    "data": {"document_type": "passport", "n": i}}
            res = cl.request("POST", "/ops/events", body)
            self.answered(body["id"], res, (201,))
            with self.lock:
                self.events.append((body, res[0] if res else None, res[1] if res else None))
            if res is None:
                break
        cl.close()


def write_csv(path, rnd):
    rows = ["customer_id,renewal_id,kind,expires_on,assignee_id"]
    expected = {}
    for i in range(IMPORT_ROWS):
        rid, kind, exp = f"ren_r{rnd}_{i}", ("passport", "insurance")[i % 2], f"2099-{1 + i % 12:02d}-15"
        rows.append(f"{CUSTOMER},{rid},{kind},{exp},")
        expected[rid] = (kind, exp)
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")
    return expected


def db_rows(db):
    """Read the dead server's database directly: integrity, tasks, events.
    PostgreSQL has no integrity_check of its own: its WAL replay after the
    kill is what the rows read here rest on."""
    integrity = [("ok",)] if is_pg_uri(db) else db_query(db, "PRAGMA integrity_check")
    tasks = {r[0]: r[1:] for r in db_query(db, "SELECT id, title, status, version, event_id FROM tasks")}
    events = {r[0]: json.loads(r[1]) for r in db_query(db, "SELECT id, outcome FROM events")}
    renewals = {r[0]: (r[1], r[2]) for r in db_query(db, "SELECT id, kind, expires_on FROM renewal_items")}
    return integrity, tasks, events, renewals


def count_statuses(path):
    """SELECT status, count(*), with OVERDUE derived as the server does (UTC)."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    rows = db_query(path, "SELECT CASE WHEN status IN ('OPEN', 'IN_PROGRESS') AND due_date < ? THEN 'OVERDUE' "
                          "ELSE status END, count(*) FROM tasks GROUP BY 1", (today,))
    counts = {s: 0 for s in STATUSES}
    counts.update(dict(rows))
    return counts


def check_round(s, load, expected_import, imp, tasks, events, renewals, ctx):
    titles = {}
    for tid, (title, status, version, event_id) in tasks.items():
        titles.setdefault(title, []).append(tid)
    # plain creates: each acknowledged one is there, as answered
    for title, answer in load.creates:
        if answer is None:
            FIGURES["unacknowledged"] += 1
            assert len(titles.get(title, [])) <= 1, f"{title} exists twice {ctx}"
            continue
        r = s.get(f"/ops/tasks/{answer['id']}")
        assert r.status == 200 and r.json() == answer, f"acknowledged create {title} lost or changed {ctx}: {r}"
        FIGURES["creates"] += 1
    # keyed creates: the same key again gives the same task, and exactly one exists
    for key, body, answer in load.keyed:
        r = s.post("/ops/tasks", body, headers={"Idempotency-Key": key})
        assert r.status == 201, f"retry of {key} {ctx}: {r}"
        if answer is not None:
            assert r.json() == answer, f"retry of acknowledged {key} gave another answer {ctx}"
            FIGURES["keyed_creates"] += 1
        else:
            FIGURES["unacknowledged"] += 1
        assert s.get(f"/ops/tasks/{r.json()['id']}").json() == r.json()
        assert len(titles.get(body["title"], [])) <= 1, f"{key} created twice {ctx}"
    # PATCH chains: the last acknowledged state, or one step past it when an unanswered PATCH followed
    for tid, (last, pending) in load.chains.items():
        got = s.get_task(tid)
        if pending:
            assert got["version"] in (last["version"], last["version"] + 1), f"{tid} {ctx}: {got} vs {last}"
            FIGURES["unacknowledged"] += 1
        else:
            assert got == last, f"acknowledged PATCH of {tid} lost or changed {ctx}"
        FIGURES["patches"] += last["version"] - 1
    # events: the acknowledged ones are stored with their tasks; an unanswered one is whole or absent
    for body, status, answer in load.events:
        eid = body["id"]
        if status == 201:
            assert events.get(eid) == answer, f"acknowledged event {eid} lost or changed {ctx}"
            assert answer["tasks"], f"{eid} made no task {ctx}"
            for tid in answer["tasks"]:
                assert tid in tasks and tasks[tid][3] == eid, f"{eid}'s task {tid} missing {ctx}"
                FIGURES["event_tasks"] += 1
            r = s.post("/ops/events", body)
            assert r.status == 200 and r.json() == answer, f"replay of {eid} {ctx}: {r}"
            FIGURES["events"] += 1
        else:
            FIGURES["unacknowledged"] += 1
            made = sorted(t for t, row in tasks.items() if row[3] == eid)
            if eid in events:
                assert sorted(events[eid]["tasks"]) == made, f"{eid} half exists {ctx}"
            else:
                assert made == [], f"{eid} is absent but has tasks {made} {ctx}"
    # the import ran to its end beside the crash: every row it reported is stored as written
    out, err = imp
    assert "imported %d rows" % IMPORT_ROWS in out, f"import {ctx}: {out[-500:]} {err[-500:]}"
    for rid, want in expected_import.items():
        assert renewals.get(rid) == want, f"imported {rid} lost or changed {ctx}"
    FIGURES["import_rows"] += len(expected_import)


def test_crash_loop_keeps_every_acknowledged_write(tmp_path):
    seed = int(os.environ.get("CRASH_SEED") or time.time_ns() % 1_000_000_007)
    rng = random.Random(seed)
    print(f"\ncrash loop: {ROUNDS} rounds, CRASH_SEED={seed}")
    started = time.monotonic()
    s = Server(tmp_path, sweep_interval=3600)
    s.start()
    try:
        s.staff("sta_crash", "Crash Owner")
        s.customer(CUSTOMER, "Crash Customer", owner="sta_crash")
        token = s.admin
        for rnd in range(1, ROUNDS + 1):
            ctx = f"(round {rnd}, CRASH_SEED={seed})"
            csv = str(tmp_path / f"import-{rnd}.csv")
            expected_import = write_csv(csv, rnd)
            load = Load(rnd, s.port, token)
            threads = [threading.Thread(target=load.plain_creates, args=(k,)) for k in range(2)]
            threads += [threading.Thread(target=load.keyed_creates), threading.Thread(target=load.patches),
                        threading.Thread(target=load.post_events)]
            delay = rng.uniform(0.2, 1.5) * SLOW
            import_at = rng.uniform(0, delay)
            for th in threads:
                th.start()
            time.sleep(import_at)
            imp = subprocess.Popen([BIN, "import", "renewals", "--db", s.db, csv], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=child_env(), stdin=subprocess.DEVNULL)
            time.sleep(delay - import_at)
            import_running = imp.poll() is None
            s.kill9()
            load.stop.set()
            for th in threads:
                th.join(30 * SLOW)
                assert not th.is_alive(), f"a client hung {ctx}"
            try:
                out, err = imp.communicate(timeout=60 * SLOW)
            finally:
                if imp.poll() is None:
                    imp.kill()
                    imp.wait(10)
            assert imp.returncode == 0, f"import exit {imp.returncode} {ctx}: {out[-300:]} {err[-500:]}"
            assert not load.bad, f"answers that should not happen {ctx}: {load.bad[:5]}"
            integrity, tasks, events, renewals = db_rows(s.db)
            assert integrity == [("ok",)], f"integrity_check {ctx}: {integrity[:5]}"
            s.start()
            check_round(s, load, expected_import, (out, err), tasks, events, renewals, ctx)
            assert s.stats()["counts"] == count_statuses(s.db), f"stats totals differ from the rows {ctx}"
            print(f"round {rnd}: killed after {delay:.2f} s; {len(load.creates)} creates, {len(load.keyed)} keyed, "
                  f"{len(load.chains)} patched tasks, {len(load.events)} events sent; import "
                  f"{'still running' if import_running else 'done'} at the kill")
            FIGURES["rounds"] += 1
            FIGURES["killed_during_import"] += import_running
    finally:
        if s.proc:
            s.stop()
    FIGURES["seconds"] = round(time.monotonic() - started, 1)
    print("crash loop figures:", json.dumps(FIGURES))
