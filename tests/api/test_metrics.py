"""GET /metrics: the Prometheus text format, checked by a real
scrape parser (`promtool check metrics`, Debian's prometheus package), its
values, its access rules and the unauthenticated --metrics-listen address."""
import http.client
import re
import shutil
import subprocess

import pytest

from conftest import PAST, SLOW, assert_error, wait_until

PROMTOOL = shutil.which("promtool")


def scrape(server, **kw):
    r = server.get("/metrics", **kw)
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    return r.body.decode()


def samples(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            assert key not in out, f"duplicate series {key}"
            out[key] = float(value)
    return out


def promtool_check(text):
    assert PROMTOOL, "promtool is missing: scripts/deps.sh installs Debian's prometheus package"
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30 * SLOW)
    assert p.returncode == 0, p.stdout + p.stderr
    # promtool prints lint problems (and exits 0 on some); there must be none
    assert p.stdout.strip() == "" and p.stderr.strip() == "", p.stdout + p.stderr


def test_metrics_pass_the_prometheus_parser_and_count_what_happened(make_server):
    s = make_server(sweep_interval=1)
    s.staff("sta_m_a")
    a = s.task(priority="HIGH", assignee_id="sta_m_a")
    b = s.task(priority="LOW", sla_hours=0.0003)
    c = s.task(due_date=PAST, priority="URGENT")  # created overdue: one transition
    s.set_status(a["id"], "COMPLETED")
    s.set_status(c["id"], "CANCELLED")
    assert s.get("/ops/nothing-here").status == 404
    assert s.get(f"/ops/tasks/{a['id']}").status == 200
    wait_until(lambda: any(e["type"] == "sla_breached" for e in s.history(b["id"])), 20, interval=0.1,
               what="the breach")
    text = scrape(s)
    promtool_check(text)
    m = samples(text)
    assert m['opstasks_tasks{status="OPEN",priority="LOW"}'] == 1
    assert m['opstasks_tasks{status="COMPLETED",priority="HIGH"}'] == 1
    assert m['opstasks_tasks{status="CANCELLED",priority="URGENT"}'] == 1
    assert sum(v for k, v in m.items() if k.startswith("opstasks_tasks{")) == 3
    assert m["opstasks_tasks_overdue"] == 0
    assert m["opstasks_tasks_sla_breached_active"] == 1
    assert m['opstasks_tasks_created_total{source="MANUAL"}'] == 3
    assert m['opstasks_tasks_created_total{source="RENEWAL"}'] == 0
    assert m["opstasks_tasks_completed_total"] == 1
    assert m["opstasks_tasks_cancelled_total"] == 1
    assert m["opstasks_overdue_transitions_total"] == 1
    assert m["opstasks_sla_breaches_total"] == 1
    assert m['opstasks_http_requests_total{route="/ops/tasks",method="POST",code="201"}'] == 3
    assert m['opstasks_http_requests_total{route="other",method="",code="404"}'] == 1
    # one pattern, two methods, the same code: two series, not one repeated
    assert m['opstasks_http_requests_total{route="/ops/tasks/:id",method="PATCH",code="200"}'] == 2
    assert m['opstasks_http_requests_total{route="/ops/tasks/:id",method="GET",code="200"}'] == 1
    assert m["opstasks_sweep_last_timestamp_seconds"] > 1.7e9
    assert m["opstasks_sweep_last_duration_seconds"] >= 0
    n = m["opstasks_http_request_duration_seconds_count"]
    assert m['opstasks_http_request_duration_seconds_bucket{le="+Inf"}'] == n
    assert n == sum(v for k, v in m.items() if k.startswith("opstasks_http_requests_total"))
    buckets = [v for k, v in m.items() if k.startswith("opstasks_http_request_duration_seconds_bucket")]
    assert buckets == sorted(buckets)
    # counters survive a restart (the task ones live in the database)
    s.stop()
    s.start()
    m = samples(scrape(s))
    assert m['opstasks_tasks_created_total{source="MANUAL"}'] == 3
    assert m["opstasks_tasks_completed_total"] == 1
    assert m["opstasks_sla_breaches_total"] == 1


def test_the_answer_cache_counts_its_hits_and_misses(make_server):
    s = make_server()
    s.task(title="Counted")
    m0 = samples(scrape(s))
    for _ in range(3):
        assert s.get("/ops/tasks?status=OPEN").status == 200
    m1 = samples(scrape(s))
    # the first read makes the answer, the next two are answered from it
    assert m1["opstasks_answer_cache_misses_total"] - m0["opstasks_answer_cache_misses_total"] == 1
    assert m1["opstasks_answer_cache_hits_total"] - m0["opstasks_answer_cache_hits_total"] == 2
    s.task(title="Another")
    assert s.get("/ops/tasks?status=OPEN").status == 200
    m2 = samples(scrape(s))
    assert m2["opstasks_answer_cache_misses_total"] - m1["opstasks_answer_cache_misses_total"] == 1
    assert m2["opstasks_answer_cache_hits_total"] == m1["opstasks_answer_cache_hits_total"]


def test_an_empty_server_has_valid_metrics(make_server):
    s = make_server()
    text = scrape(s)
    promtool_check(text)
    assert samples(text)["opstasks_tasks_overdue"] == 0


def test_metrics_need_an_admin_token(make_server):
    s = make_server()
    assert_error(s.get("/metrics", token=None), 401, "unauthorized")
    assert_error(s.get("/metrics", token="ops_wrong"), 401, "unauthorized")
    assert_error(s.get("/metrics", token=s.token("agent")), 403, "forbidden")
    assert_error(s.post("/metrics", {}), 405, "method_not_allowed")


def metrics_port(server):
    def line():
        m = re.search(rb"metrics on http://127\.0\.0\.1:(\d+)/metrics\n", server.stdout_rest)
        if m:
            return int(m.group(1))
        import os
        import select
        fd = server.proc.stdout.fileno()
        if select.select([fd], [], [], 0.05)[0]:
            server.stdout_rest += os.read(fd, 4096)
        return None
    return wait_until(line, 10, interval=0.01, what="the metrics address")


def test_the_metrics_address_serves_metrics_alone_without_a_token(make_server):
    s = make_server(extra_args=["--metrics-listen", "127.0.0.1:0"])
    s.task()
    port = metrics_port(s)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        text = r.read().decode()
        assert r.status == 200
        promtool_check(text)
        assert samples(text)['opstasks_tasks_created_total{source="MANUAL"}'] == 1
        for path in ("/ops/tasks", "/healthz", "/metrics/x"):
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            assert r.status == 404, path
        c.request("POST", "/metrics", body=b"{}")
        r = c.getresponse()
        r.read()
        assert r.status == 405
    finally:
        c.close()
    # the main address still wants the admin token
    assert_error(s.get("/metrics", token=None), 401, "unauthorized")


def test_a_bad_metrics_address_stops_the_start(tmp_path):
    from conftest import run_cli
    p = run_cli("serve", "--db", tmp_path / "x.db", "--listen", "127.0.0.1:0", "--metrics-listen", "nonsense")
    assert p.returncode == 2 and "--metrics-listen" in p.stderr


def test_requests_to_the_metrics_address_count_under_their_route(make_server):
    # The metrics address serves its own one-row table: its scrapes count as
    # GET /metrics, like the main address's, in one series (no duplicate).
    s = make_server(extra_args=["--metrics-listen", "127.0.0.1:0"])
    port = metrics_port(s)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    try:
        for path, status in (("/metrics", 200), ("/metrics", 200), ("/healthz", 404)):
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            assert r.status == status, path
        assert b"this address serves GET /metrics only" in body
    finally:
        c.close()
    scrape(s)
    text = scrape(s)
    promtool_check(text)
    m = samples(text)
    # two on the metrics address and the first scrape of the main one
    assert m['opstasks_http_requests_total{route="/metrics",method="GET",code="200"}'] == 3
    assert m['opstasks_http_requests_total{route="other",method="",code="404"}'] == 1
