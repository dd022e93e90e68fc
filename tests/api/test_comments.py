"""Comments on tasks: POST/GET /ops/tasks/{id}/comments on the backend the
suite runs on (SQLite, or PostgreSQL when OPSTASKS_TEST_PG names the test
cluster). A comment is counted on its task (comment_count) without changing
its version, ETag or history; mentions name active staff only; anyone signed
in comments, on any task; `opstasks copy` carries the comments along."""
import sqlite3

import pytest

from conftest import FUTURE, PG_SOCKET, Server, assert_error, pg_create_db, run_cli

COMMENT_FIELDS = ["id", "task_id", "author", "body", "mentions", "created_at"]


def comment(server, tid, body, token=None, **kw):
    r = server.post(f"/ops/tasks/{tid}/comments", {"body": body}, **({"token": token} if token else {}), **kw)
    assert r.status == 201, r
    return r.json()


def comments(server, tid, query=""):
    r = server.get(f"/ops/tasks/{tid}/comments{query}")
    assert r.status == 200, r
    return r.json()


def test_a_comment_is_created_with_its_documented_shape(server):
    t = server.task(title="call the customer")
    r = server.post(f"/ops/tasks/{t['id']}/comments", {"body": "called the customer, waiting for the scan"})
    assert r.status == 201, r
    c = r.json()
    assert list(c) == COMMENT_FIELDS
    assert c["id"].startswith("cmt_") and len(c["id"]) == 30
    assert c["task_id"] == t["id"]
    assert c["author"].startswith("token:")  # the admin token of the tests is tied to nobody
    assert c["body"] == "called the customer, waiting for the scan"
    assert c["mentions"] == []
    assert c["created_at"].endswith("Z")
    page = comments(server, t["id"])
    assert page == {"data": [c], "next_cursor": None}


def test_comments_list_oldest_first_page_by_page(server):
    t = server.task(title="many comments")
    made = [comment(server, t["id"], f"note {i}")["id"] for i in range(7)]
    assert made == sorted(made)
    seen, cursor = [], None
    for _ in range(10):
        page = comments(server, t["id"], "?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["data"]) <= 3
        seen += [c["id"] for c in page["data"]]
        assert [c["body"] for c in page["data"]] == [f"note {made.index(i)}" for i in
                                                      [c["id"] for c in page["data"]]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made
    # another task's comments are not listed
    other = server.task(title="no comments")
    assert comments(server, other["id"]) == {"data": [], "next_cursor": None}
    # the whole list in one page: no next cursor
    page = comments(server, t["id"], "?limit=7")
    assert [c["id"] for c in page["data"]] == made and page["next_cursor"] is None


def test_a_bad_cursor_limit_or_query_argument_answers_422(server):
    t = server.task()
    assert_error(server.get(f"/ops/tasks/{t['id']}/comments?cursor=tsk_nope"), 422, "validation_failed", "cursor")
    assert_error(server.get(f"/ops/tasks/{t['id']}/comments?limit=0"), 422, "validation_failed", "limit")
    assert_error(server.get(f"/ops/tasks/{t['id']}/comments?limit=501"), 422, "validation_failed", "limit")
    assert_error(server.get(f"/ops/tasks/{t['id']}/comments?sort=id"), 422, "validation_failed")


def test_mentions_name_active_staff_only_once_each_in_order(server):
    server.staff("sta_cm_ann", name="Ann")
    server.staff("sta_cm_bob", name="Bob")
    server.staff("sta_cm_gone", name="Gone", active=False)
    t = server.task()
    body = ("@sta_cm_bob please ask @sta_cm_ann. Not @sta_cm_gone, not @sta_cm_nobody, again @sta_cm_bob; "
            "mail sta_cm_ann without the at sign")
    c = comment(server, t["id"], body)
    assert c["mentions"] == ["sta_cm_bob", "sta_cm_ann"]
    assert c["body"] == body  # unknown and inactive ids are left as text
    assert comments(server, t["id"])["data"][0]["mentions"] == ["sta_cm_bob", "sta_cm_ann"]
    # an id is the whole run of id characters after the @
    c = comment(server, t["id"], "@sta_cm_ann_x and (@sta_cm_ann)")
    assert c["mentions"] == ["sta_cm_ann"]
    # made inactive: no longer mentioned by a new comment, still in the old one
    server.staff("sta_cm_bob", name="Bob", active=False)
    assert comment(server, t["id"], "@sta_cm_bob?")["mentions"] == []
    assert comments(server, t["id"])["data"][0]["mentions"] == ["sta_cm_bob", "sta_cm_ann"]


def test_comments_on_a_task_that_does_not_exist_answer_404(server):
    for tid in ("tsk_01AAAAAAAAAAAAAAAAAAAAAAAA", "tsk_nope", "nope", "cmt_01AAAAAAAAAAAAAAAAAAAAAAAA"):
        assert_error(server.post(f"/ops/tasks/{tid}/comments", {"body": "hello"}), 404, "not_found")
        assert_error(server.get(f"/ops/tasks/{tid}/comments"), 404, "not_found")


def test_a_bad_body_answers_422_naming_body_and_writes_nothing(server):
    t = server.task()
    path = f"/ops/tasks/{t['id']}/comments"
    for bad in ("", "   \n\t ", "a\u0001b", "bell\u0007", "del\u007f", "x" * 10001, "\u015f" * 10001):
        assert_error(server.post(path, {"body": bad}), 422, "validation_failed", "body")
    assert_error(server.post(path, {}), 422, "validation_failed", "body")
    assert_error(server.post(path, {"body": 5}), 422, "validation_failed", "body")
    assert_error(server.post(path, {"body": None}), 422, "validation_failed", "body")
    assert_error(server.post(path, {"body": "hi", "author": "sta_x"}), 422, "validation_failed")
    assert comments(server, t["id"])["data"] == []
    assert server.get_task(t["id"])["comment_count"] == 0
    # the limits themselves are fine: 10,000 characters (code points), newlines, tabs
    assert comment(server, t["id"], "x" * 10000)["body"] == "x" * 10000
    assert comment(server, t["id"], "\u015f" * 10000)["body"] == "\u015f" * 10000
    body = "line one\r\nline two\n\tindented \u00e9t\u00e9 \u2713 \"quoted\""
    assert comment(server, t["id"], body)["body"] == body
    assert server.get_task(t["id"])["comment_count"] == 3


def test_a_comment_counts_on_the_task_without_changing_its_version_etag_or_history(server):
    t = server.task(title="counted")
    assert t["comment_count"] == 0
    r = server.get(f"/ops/tasks/{t['id']}")
    etag, history = r.header("ETag"), server.history(t["id"])
    for i in range(3):
        comment(server, t["id"], f"comment {i}")
    r = server.get(f"/ops/tasks/{t['id']}")
    after = r.json()
    assert after["comment_count"] == 3
    assert after["version"] == t["version"] and after["updated_at"] == t["updated_at"]
    assert r.header("ETag") == etag
    assert server.history(t["id"]) == history
    # the queue shows the count too
    listed = [x for x in server.get("/ops/tasks?limit=500&status=all").json()["data"] if x["id"] == t["id"]]
    assert listed and listed[0]["comment_count"] == 3
    # an edit with the ETag read before the comments goes through, and keeps the count
    r = server.patch(f"/ops/tasks/{t['id']}", {"title": "counted, edited"}, headers={"If-Match": etag})
    assert r.status == 200, r
    assert r.json()["comment_count"] == 3 and r.json()["version"] == t["version"] + 1
    server.set_status(t["id"], "IN_PROGRESS")
    assert server.get_task(t["id"])["comment_count"] == 3


def test_a_completed_or_cancelled_task_takes_comments(server):
    for final in ("COMPLETED", "CANCELLED"):
        t = server.task(title=f"finished {final}")
        server.set_status(t["id"], final)
        before = server.get_task(t["id"])
        c = comment(server, t["id"], "noted after the fact")
        assert c["task_id"] == t["id"]
        after = server.get_task(t["id"])
        assert after["status"] == final and after["comment_count"] == 1
        assert after["version"] == before["version"]


def test_an_agent_comments_as_themself(server):
    server.staff("sta_cm_agent", name="Agent Comment")
    tok = server.token("agent", staff="sta_cm_agent", name="agent comments")
    loose = server.token("agent", name="agent without staff")
    t = server.task(title="agent's")
    c = comment(server, t["id"], "done by me", token=tok)
    assert c["author"] == "sta_cm_agent"
    c = comment(server, t["id"], "a token of nobody", token=loose)
    assert c["author"].startswith("token:")
    r = server.get(f"/ops/tasks/{t['id']}/comments", token=tok)
    assert r.status == 200 and [x["author"] for x in r.json()["data"]][0] == "sta_cm_agent"
    # no token: 401
    assert server.post(f"/ops/tasks/{t['id']}/comments", {"body": "anyone?"}, token=None).status == 401
    assert server.get(f"/ops/tasks/{t['id']}/comments", token=None).status == 401


def copied(src, dst):
    p = run_cli("copy", "--from", src, "--to", dst, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def test_a_copy_to_another_database_keeps_the_comments(tmp_path):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    src = str(src_dir / "src.db")
    s = Server(src_dir, db=src).start()
    s.staff("sta_cm_copy", name="Copy")
    t = s.task(title="copied with comments")
    made = [s.post(f"/ops/tasks/{t['id']}/comments", {"body": b}).json()
            for b in ("first @sta_cm_copy", "second\nline")]
    s.stop()
    rows = sqlite3.connect(src).execute("SELECT count(*) FROM task_comments").fetchone()[0]
    assert rows == 2
    targets = [str(tmp_path / "copy.db")]
    if PG_SOCKET:
        targets.append(pg_create_db())
    for i, dst in enumerate(targets):
        copied(src, dst)
        d = tmp_path / f"dst{i}"
        d.mkdir()
        s2 = Server(d, db=dst).start()
        try:
            r = s2.get(f"/ops/tasks/{t['id']}/comments")
            assert r.status == 200 and r.json()["data"] == made, r
            assert s2.get_task(t["id"])["comment_count"] == 2
            # and a new comment goes on counting
            r = s2.post(f"/ops/tasks/{t['id']}/comments", {"body": "on the copy"})
            assert r.status == 201, r
            assert s2.get_task(t["id"])["comment_count"] == 3
        finally:
            s2.stop()
