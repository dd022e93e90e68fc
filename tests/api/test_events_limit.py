"""The per-token volume limit of POST /ops/events
(--events-limit-mib-per-minute): past it 429 too_many_requests with
Retry-After, nothing stored, other tokens unaffected, and the budget comes
back with time."""
import time

from conftest import SLOW, assert_error

PAD = "x" * 65000  # ~64 KiB bodies, just under the 64 KiB data limit


def big_event(eid):
    return {"id": eid, "type": "agent.report", "data": {"pad": PAD}}


def test_a_token_past_its_budget_gets_429_with_retry_after_and_it_comes_back(make_server):
    s = make_server(extra_args=["--events-limit-mib-per-minute", "1"])
    a, b = s.token("agent", name="a"), s.token("agent", name="b")
    accepted = 0
    for i in range(40):
        r = s.post("/ops/events", big_event(f"evt_lim_{i}"), token=a)
        if r.status != 201:
            break
        accepted += 1
    # 1 MiB a minute holds 16 bodies of ~65 KB (a little more refills meanwhile)
    assert 15 <= accepted <= 17, accepted
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
    t0 = time.monotonic()
    codes = [s.post("/ops/events", big_event(f"evt_dflt_{i}")).status for i in range(262)]
    if time.monotonic() - t0 < 10 * SLOW:  # a slow run refills too much to tell
        assert codes.count(201) in range(250, 262), codes.count(201)
        assert codes[-1] == 429
