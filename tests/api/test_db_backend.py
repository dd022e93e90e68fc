"""The --db value chooses the storage backend: a postgres:// or postgresql://
URI names PostgreSQL, which this opstasks is built without, so every command
refuses it in one clear line (exit 1) instead of taking it for a file name;
anything else is a SQLite file, whatever it is called."""
import pytest

from conftest import run_cli

URIS = ["postgres://ops:secret@127.0.0.1:5432/opstasks", "postgresql://127.0.0.1/opstasks", "POSTGRES://db/x"]


def refuses(p, words):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), p.stderr
    assert "secret" not in p.stderr  # the URI's password is not echoed


@pytest.mark.parametrize("uri", URIS)
@pytest.mark.parametrize("cmd", [["serve", "--listen", "127.0.0.1:0"], ["init"], ["token", "create", "--role", "admin"]])
def test_a_postgres_uri_is_refused_as_not_built_in(cmd, uri):
    refuses(run_cli(*cmd, "--db", uri), ["PostgreSQL is not built into this opstasks"])


def test_a_postgres_uri_in_the_environment_is_refused_the_same_way():
    p = run_cli("serve", "--listen", "127.0.0.1:0", env={"OPSTASKS_DB": URIS[0]})
    refuses(p, ["PostgreSQL is not built into this opstasks"])


def test_import_refuses_a_postgres_uri(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_text("customer_id,renewal_id,kind,expires_on,assignee_id\n")
    refuses(run_cli("import", "renewals", "--db", URIS[1], csv), ["PostgreSQL is not built into this opstasks"])


def test_backup_says_it_works_on_sqlite_files_only(tmp_path):
    out = tmp_path / "copy.db"
    p = run_cli("backup", "--db", URIS[0], out)
    refuses(p, ["backup works on SQLite files only", "PostgreSQL"])
    assert not out.exists()


def test_check_of_a_postgres_database_it_cannot_reach_fails_in_one_line(tmp_path):
    # check works on PostgreSQL too (tests/api/test_copy.py): here nothing listens
    refuses(run_cli("check", "--db", "postgres://ops:secret@127.0.0.1:9/opstasks"),
            ["cannot connect to PostgreSQL", "ops:***@"])


def test_a_file_whose_name_starts_with_postgres_is_a_sqlite_database(tmp_path):
    db = tmp_path / "postgres:db"
    p = run_cli("init", "--db", db)
    assert p.returncode == 0, p.stderr
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"
    assert run_cli("check", "--db", db).returncode == 0
