"""The per-token volume limit of POST /ops/events
(--events-limit-mib-per-minute): past it 429 too_many_requests with
Retry-After, nothing stored, other tokens unaffected, and the budget comes
back with time."""
import json
import time

from conftest import assert_error

MIB = 1024 * 1024
PAD = "x" * 65000  # ~64 KiB bodies, just under the 64 KiB data limit


def big_event(eid):
    return {"id": eid, "type": "agent.report", "data": {"pad": PAD}}


def test_a_token_past_its_budget_gets_429_with_retry_after_and_it_comes_back(make_server):
    s = make_server(extra_args=["--events-limit-mib-per-minute", "1"])
    a, b = s.token("agent", name="a"), s.token("agent", name="b")
    body = len(json.dumps(big_event("evt_lim_00")))
    accepted = 0
    t0 = time.monotonic()
    for i in range(200):
        r = s.post("/ops/events", big_event(f"evt_lim_{i}"), token=a)
        if r.status != 201:
            break
        accepted += 1
    took = time.monotonic() - t0
    # 1 MiB a minute holds 16 bodies of ~65 KB, plus what refilled meanwhile
    assert 16 <= accepted and accepted * body <= MIB + took * MIB / 60 + body, (accepted, took)
    assert_error(r, 429, "too_many_requests")
    retry = r.header("Retry-After")
    assert retry and retry.isdigit(), r.headers
    # ~65 KB of a 1 MiB/min budget comes back in ~3.7 s
    assert 1 <= int(retry) <= 5, retry
    refused = f"evt_lim_{accepted}"
    # the refused event was not stored
    listed = s.get("/ops/events?type=agent.report&limit=500", token=b).json()["data"]
    assert refused not in {e["id"] for e in listed} and len(listed) == accepted
    # another token has its own budget
    assert s.post("/ops/events", big_event("evt_lim_other"), token=b).status == 201
    # still refused before Retry-After has passed
    assert s.post("/ops/events", big_event(refused), token=a).status == 429
    time.sleep(int(retry) + 0.2)
    r = s.post("/ops/events", big_event(refused), token=a)
    assert r.status == 201, r  # 201, not 200: the first try stored nothing
    # small events still cost their size only
    assert s.post("/ops/events", {"id": "evt_lim_small", "type": "agent.report"}, token=b).status == 201


def test_zero_turns_the_limit_off(make_server):
    s = make_server(extra_args=["--events-limit-mib-per-minute", "0"])
    for i in range(40):  # 2.5 MiB
        r = s.post("/ops/events", big_event(f"evt_nolim_{i}"))
        assert r.status == 201, (i, r)


def test_the_default_limit_is_16_mib_a_minute(make_server):
    s = make_server()
    body = len(json.dumps(big_event("evt_dflt_0000")))
    accepted = 0
    t0 = time.monotonic()
    for i in range(2000):  # ~260 fit; sending outruns the refill of 16 MiB/60 s
        r = s.post("/ops/events", big_event(f"evt_dflt_{i:04}"))
        if r.status == 429:
            break
        assert r.status == 201, r
        accepted += body
    took = time.monotonic() - t0
    assert r.status == 429, r
    budget = 16 * MIB
    # the whole minute's budget at once, plus what refilled while sending
    assert budget - body < accepted <= budget + took * budget / 60 + body, (accepted, took)
