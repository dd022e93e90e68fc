"""The --db value chooses the storage backend: a postgres:// or postgresql://
URI names PostgreSQL, anything else is a SQLite file, whatever it is called.
A PostgreSQL database that cannot be reached, or does not exist, is refused
at start by every command in one clear line (exit 1) that never echoes the
URI's password."""
import socket

import pytest

from conftest import PG_SOCKET, Server, new_db_uri, run_cli


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_uris():
    port = free_port()  # nothing listens there
    return [f"postgres://ops:secret@127.0.0.1:{port}/opstasks?connect_timeout=3",
            f"postgresql://127.0.0.1:{port}/opstasks", f"POSTGRES://ops:secret@127.0.0.1:{port}/x"]


def refuses(p, words):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), p.stderr
    assert "secret" not in p.stderr  # the URI's password is not echoed


@pytest.mark.parametrize("cmd", [["serve", "--listen", "127.0.0.1:0"], ["init"], ["token", "create", "--role", "admin"]])
def test_an_unreachable_postgres_database_is_refused_in_one_line(cmd):
    for uri in unreachable_uris():
        refuses(run_cli(*cmd, "--db", uri), ["cannot connect to PostgreSQL", "127.0.0.1"])


def test_an_unreachable_postgres_uri_in_the_environment_is_refused_the_same_way():
    p = run_cli("serve", "--listen", "127.0.0.1:0", env={"OPSTASKS_DB": unreachable_uris()[0]})
    refuses(p, ["cannot connect to PostgreSQL"])


def test_import_refuses_an_unreachable_postgres_database(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_text("customer_id,renewal_id,kind,expires_on,assignee_id\n")
    refuses(run_cli("import", "renewals", "--db", unreachable_uris()[1], csv), ["cannot connect to PostgreSQL"])


@pytest.mark.skipif(not PG_SOCKET, reason="needs the PostgreSQL test cluster (OPSTASKS_TEST_PG)")
def test_a_database_that_does_not_exist_is_not_created():
    uri = f"postgresql:///no_such_db?host={PG_SOCKET}&user=postgres"
    refuses(run_cli("init", "--db", uri), ["does not exist", "createdb"])


def test_backup_says_it_works_on_sqlite_files_only(tmp_path):
    out = tmp_path / "copy.db"
    p = run_cli("backup", "--db", unreachable_uris()[0], out)
    refuses(p, ["backup works on SQLite files only", "PostgreSQL"])
    assert not out.exists()


def test_check_of_a_postgres_database_it_cannot_reach_fails_in_one_line(tmp_path):
    # check works on PostgreSQL too (tests/api/test_copy.py): here nothing listens
    refuses(run_cli("check", "--db", unreachable_uris()[0]), ["cannot connect to PostgreSQL", "ops:***@"])


def test_a_file_whose_name_starts_with_postgres_is_a_sqlite_database(tmp_path):
    db = tmp_path / "postgres:db"
    p = run_cli("init", "--db", db)
    assert p.returncode == 0, p.stderr
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"
    assert run_cli("check", "--db", db).returncode == 0


@pytest.mark.skipif(not PG_SOCKET, reason="needs the PostgreSQL test cluster (OPSTASKS_TEST_PG)")
def test_init_and_serve_never_print_the_uris_password(tmp_path):
    uri = new_db_uri(tmp_path).replace("postgresql:///", "postgresql://postgres:secret@/", 1)  # trust: ignored
    p = run_cli("init", "--db", uri, "--listen", "127.0.0.1:9")
    assert p.returncode == 0, p.stderr
    assert "secret" not in p.stdout + p.stderr and "postgres:***@" in p.stdout
    again = run_cli("init", "--db", uri)
    assert again.returncode == 0 and "secret" not in again.stdout + again.stderr
    s = Server(tmp_path, db=uri).start()
    try:
        assert s.get("/ops/tasks").status == 200
    finally:
        s.stop()
    log = s.read_stderr()
    assert "secret" not in log and "postgres:***@" in log
