#!/usr/bin/python3
"""webhooks.py: the webhook benchmarks. (1) Deliveries per second: N pending
deliveries are written into the outbox of a stopped server, which is then
started and timed until a receiver on 127.0.0.1 (bench/sink.c, its own
process, HTTP/1.1 keep-alive) has counted every one. (2) Durable creates with one active
webhook against none: wrk with bench/post.lua (32 clients) in alternating
rounds on one fresh database each, the deliveries going out meanwhile to
that receiver, or to one that holds every connection unanswered (the
outbox's own cost, without the CPU of sending and receiving on these cores).
Prints one line per figure; loopback only, every wait bounded.

    bench/webhooks.py [--n 5000] [--duration 10] [--rounds 3]
    OPSTASKS_TEST_PG=SOCKET_DIR bench/webhooks.py ...   (PostgreSQL: scripts/with-pg.sh)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "api"))
os.environ.setdefault("OPSTASKS_BIN", os.path.join(HERE, "..", "build", "opstasks"))

from conftest import ON_PG, Server, db_query, new_db_uri  # noqa: E402


class Receiver:
    """bench/sink.c, built into build/bench-sink and run as its own process:
    200 to every POST, GET answers how many it counted."""

    def __init__(self, tmp):
        exe = os.path.join(HERE, "..", "build", "bench-sink")
        subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", exe, os.path.join(HERE, "sink.c")], check=True)
        self.proc = subprocess.Popen([exe], stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def count(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/count", timeout=10) as r:
            return int(r.read())

    def stop(self):
        self.proc.kill()
        self.proc.wait(10)


class Hold:
    """A receiver that accepts connections and never answers: the sender's
    tries wait out their 10 s, so the outbox's cost on the creates is
    measured without the CPU that sending and receiving take."""

    def __init__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.conns = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            while True:
                self.conns.append(self.sock.accept()[0])
        except OSError:
            pass

    def stop(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def hook(s, url, hid="whk_bench"):
    r = s.put(f"/ops/webhooks/{hid}", {"url": url, "events": ["task.created"], "secret": "bench secret"})
    assert r.status in (200, 201), r


def deliveries_per_second(tmp, n):
    rc = Receiver(tmp)
    d = os.path.join(tmp, "dps")
    os.makedirs(d, exist_ok=True)
    s = Server(d, extra_args=["--webhook-allow-private"]).start()
    try:
        hook(s, rc.url)
        s.stop()
        data = '{"task_id":"tsk_bench","task":{"id":"tsk_bench","title":"Chase outstanding bank statement"}}'
        rows = [(f"dlv_{i:026d}", "whk_bench", f"tsk_{i:026d}", "task.created", 0, data, "pending", 0, 0, 0)
                for i in range(n)]
        db_query(s.db, "INSERT INTO webhook_deliveries (id, webhook_id, task_id, event_type, occurred_at, data, "
                       "state, created_at, first_try_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 rows, many=True)
        t0 = time.monotonic()
        s.start()
        deadline = t0 + 300
        while rc.count() < n and time.monotonic() < deadline:
            time.sleep(0.05)
        took = time.monotonic() - t0
        got = rc.count()
        left = db_query(s.db, "SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered'")[0][0]
        s.stop()
        return got, took, left
    finally:
        if s.proc:
            s.stop()
        rc.stop()


def wrk_creates(port, token, duration):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", "-s",
                          os.path.join(HERE, "post.lua"), f"http://127.0.0.1:{port}/ops/tasks"],
                         capture_output=True, text=True, timeout=duration + 60,
                         env=dict(os.environ, OPSTASKS_TOKEN=token)).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
    non = int(re.search(r"non2xx=(\d+)", out).group(1))
    return rps, p99, non


def cpu_s(pid):
    """User + system CPU seconds of a process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def creates_ab(tmp, duration, rounds):
    rc = Receiver(tmp)
    hold = Hold()
    results = {"none": [], "webhook": [], "webhook, receiver holds": []}
    try:
        for k in range(rounds):
            for variant in results:
                d = os.path.join(tmp, f"ab{k}{variant}")
                os.makedirs(d, exist_ok=True)
                s = Server(d, extra_args=["--webhook-allow-private", "--max-connections-per-address", "4096"])
                s.start()
                try:
                    if variant != "none":
                        hook(s, rc.url if variant == "webhook" else hold.url)
                    sent0 = rc.count()
                    token = s.admin
                    cpu0 = cpu_s(s.proc.pid)
                    rps, p99, non = wrk_creates(s.port, token, duration)
                    # the server's CPU per create, settled: the outbox drained (bounded)
                    for _ in range(100):
                        if variant != "webhook" or rc.count() >= sent0 + rps * duration * 0.99:
                            break
                        time.sleep(0.1)
                    cpu = cpu_s(s.proc.pid) - cpu0
                    results[variant].append((rps, p99, non, cpu * 1e6 / (rps * duration)))
                finally:
                    s.stop()
                if variant != "none":  # once stopped: every create has its delivery
                    made, tasks = db_query(s.db, "SELECT (SELECT count(*) FROM webhook_deliveries), "
                                                 "(SELECT count(*) FROM tasks)")[0]
                    assert made == tasks, (made, tasks)
    finally:
        rc.stop()
        hold.stop()
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-ab", action="store_true")
    a = ap.parse_args()
    backend = "PostgreSQL" if ON_PG else "SQLite"
    with tempfile.TemporaryDirectory(prefix="opstasks-whk-bench-") as tmp:
        got, took, left = deliveries_per_second(tmp, a.n)
        print(f"{backend}: deliveries: {got} of {a.n} received in {took:.2f} s from the server's start: "
              f"{got / took:.0f}/s (undelivered in the outbox after: {left})")
        if not a.skip_ab:
            res = creates_ab(tmp, a.duration, a.rounds)
            for v, rows in res.items():
                print(f"{backend}: creates, {v}: " + ", ".join(f"{r:.0f}/s (p99 {p}, non-2xx {n}, server CPU "
                                                                 f"{c:.0f} us a create)" for r, p, n, c in rows))
            med = {v: sorted(r for r, _, _, _ in rows)[len(rows) // 2] for v, rows in res.items()}
            cpu = {v: sorted(c for _, _, _, c in rows)[len(rows) // 2] for v, rows in res.items()}
            for v in res:
                if v != "none":
                    print(f"{backend}: creates with one webhook ({v}) / without, medians: {med[v]:.0f} / "
                          f"{med['none']:.0f} = {med[v] / med['none']:.2f}; server CPU a create {cpu[v]:.0f} / "
                          f"{cpu['none']:.0f} us = {cpu[v] / cpu['none']:.2f}")


if __name__ == "__main__":
    main()
