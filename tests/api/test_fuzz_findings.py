"""What fuzzing (tests/fuzz/, make fuzz) found, checked over HTTP against the
real server: each answer a client gets is the documented error envelope."""
from conftest import assert_error


def test_malformed_json_quoting_bytes_that_are_not_utf8_answers_the_envelope(server):
    # jansson's error text quotes the raw bytes; the envelope was {"error":{}}
    body = b'{"id": "evt_1", "type": "document.rejected", "\\\xe7\x9b\x9e\x8b\x9e\xdd\xc5\xdf{"r": 1}}'
    r = server.post("/ops/events", raw=body)
    e = assert_error(r, 400, "bad_json")
    assert "\ufffd" in e["message"], e
    r = server.get("/ops/events?limit=1")
    assert r.status == 200 and r.json()["data"] == [], r


def test_an_unknown_query_argument_that_is_not_utf8_answers_the_envelope(server):
    r = server.get("/ops/tasks?%FF%FEx=1")
    e = assert_error(r, 422, "validation_failed")
    assert "\ufffd" in e["message"] and "\ufffd" in e["field"], e


def test_an_unknown_field_cut_inside_a_character_answers_the_envelope_with_the_field(server):
    # "unknown field '%.100s'" and the 64-byte field cut the name inside an é
    name = "\u00e9" * 80
    r = server.post("/ops/tasks", {"title": "x", "due_date": "2026-12-05", name: 1})
    e = assert_error(r, 422, "validation_failed")
    assert e["field"].startswith("\u00e9" * 31), e
