"""`opstasks serve` at start: a port already in use is refused before the
database is opened (a new database is not created, an old one not
migrated), and a database without any API token gets a line saying how to
make one. Both backends (OPSTASKS_TEST_PG)."""
import json
import os
import socket

from conftest import ON_PG, db_query, is_pg_uri, new_db_uri, run_cli


def busy_port():
    """A loopback socket listening on a port; the caller closes it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def user_tables(db):
    if is_pg_uri(db):
        return db_query(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    return db_query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")


def test_a_port_in_use_is_refused_before_the_database_is_made_or_migrated(tmp_path):
    db = new_db_uri(tmp_path)
    with busy_port() as s:
        port = s.getsockname()[1]
        p = run_cli("serve", "--listen", f"127.0.0.1:{port}", "--db", db)
    assert p.returncode == 1, p.stderr
    assert p.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in p.stderr
    assert "--listen" in p.stderr
    assert "migration" not in p.stderr, "nothing was migrated"
    if ON_PG:
        assert user_tables(db) == [], "the empty database was left empty"
    else:
        assert not os.path.exists(db), "no new database file was made"


def test_a_metrics_port_in_use_is_refused_before_the_database_too(tmp_path):
    db = new_db_uri(tmp_path)
    with busy_port() as s:
        port = s.getsockname()[1]
        p = run_cli("serve", "--listen", "127.0.0.1:0", "--metrics-listen", f"127.0.0.1:{port}", "--db", db)
    assert p.returncode == 1, p.stderr
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in p.stderr
    assert "--metrics-listen" in p.stderr
    if ON_PG:
        assert user_tables(db) == []
    else:
        assert not os.path.exists(db)


def test_an_old_database_is_not_touched_when_the_port_is_in_use(make_server):
    s = make_server()
    s.stop()
    before = user_tables(s.db)
    if not ON_PG:
        mtime = os.stat(s.db).st_mtime_ns
    with busy_port() as b:
        p = run_cli("serve", "--listen", f"127.0.0.1:{b.getsockname()[1]}", "--db", s.db)
    assert p.returncode == 1 and "the port is in use" in p.stderr, p.stderr
    assert user_tables(s.db) == before
    if not ON_PG:
        assert os.stat(s.db).st_mtime_ns == mtime


def test_a_database_without_tokens_gets_told_how_to_make_one(make_server):
    s = make_server()
    log = s.read_stderr()
    assert "the database has no API token yet" in log, log
    assert "opstasks init --db " in log and "opstasks token create --db " in log and "--role admin" in log
    s.stop()
    # with a token, nothing is said
    s.token("admin")
    s.start()
    assert "no API token" not in s.read_stderr()


def test_the_token_hint_is_one_json_line_under_log_format_json(make_server):
    s = make_server(extra_args=["--log-format", "json"])
    lines = [json.loads(x) for x in s.read_stderr().splitlines() if x.strip()]
    hint = [o for o in lines if "no API token yet" in json.dumps(o)]
    assert len(hint) == 1, lines
