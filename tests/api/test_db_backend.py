"""The --db value chooses the storage backend: a postgres:// or postgresql://
URI (any case) names PostgreSQL, anything else is a SQLite file, whatever it
is called. A PostgreSQL database that cannot be reached fails every command
in one clear line (exit 1) that names it without its password; backup and
check say they work on SQLite files only. With a test cluster
(OPSTASKS_TEST_PG), init migrates a new database and a second init is a
no-op."""
import pytest

from conftest import ON_PG, db_query, new_db_uri, run_cli

# no server listens there: a socket folder that does not exist
NOWHERE = "host=/nonexistent-opstasks-test"
URIS = [f"postgres://ops:secret@/opstasks?{NOWHERE}", f"postgresql:///opstasks?{NOWHERE}", f"POSTGRES:///x?{NOWHERE}"]


def refuses(p, words):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), p.stderr
    assert "secret" not in p.stderr  # the URI's password is not echoed


@pytest.mark.parametrize("uri", URIS)
@pytest.mark.parametrize("cmd", [["serve", "--listen", "127.0.0.1:0"], ["init"], ["token", "create", "--role", "admin"]])
def test_an_unreachable_postgres_uri_fails_in_one_line_without_its_password(cmd, uri):
    refuses(run_cli(*cmd, "--db", uri), ["cannot connect to PostgreSQL"])


def test_a_postgres_uri_in_the_environment_is_taken_the_same_way():
    p = run_cli("serve", "--listen", "127.0.0.1:0", env={"OPSTASKS_DB": URIS[0]})
    refuses(p, ["cannot connect to PostgreSQL"])


def test_import_takes_a_postgres_uri(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_text("customer_id,renewal_id,kind,expires_on,assignee_id\n")
    refuses(run_cli("import", "renewals", "--db", URIS[1], csv), ["cannot connect to PostgreSQL"])


@pytest.mark.parametrize("cmd", ["backup", "check"])
def test_backup_and_check_say_they_work_on_sqlite_files_only(tmp_path, cmd):
    out = tmp_path / "copy.db"
    p = run_cli(cmd, "--db", URIS[0], *([out] if cmd == "backup" else []))
    refuses(p, [f"{cmd} works on SQLite files only", "PostgreSQL"])
    assert not out.exists()


def test_a_file_whose_name_starts_with_postgres_is_a_sqlite_database(tmp_path):
    db = tmp_path / "postgres:db"
    p = run_cli("init", "--db", db)
    assert p.returncode == 0, p.stderr
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"
    assert run_cli("check", "--db", db).returncode == 0


@pytest.mark.skipif(not ON_PG, reason="needs the PostgreSQL test cluster (OPSTASKS_TEST_PG; make api-pg)")
def test_init_migrates_a_new_postgres_database_and_a_second_init_changes_nothing(tmp_path):
    db = new_db_uri(tmp_path)
    p = run_cli("init", "--db", db)
    assert p.returncode == 0, p.stderr
    versions = db_query(db, "SELECT version FROM schema_migrations ORDER BY version")
    assert versions and versions[0] == (1,), versions
    p = run_cli("init", "--db", db)
    assert p.returncode == 0, p.stderr
    assert db_query(db, "SELECT version FROM schema_migrations ORDER BY version") == versions
