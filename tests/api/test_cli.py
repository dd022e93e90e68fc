"""The command line: help, version, bad options, token create and init."""
import os
import select
import signal
import subprocess

import pytest

from conftest import BIN, ON_PG, SLOW, Server, child_env, db_query, new_db_uri, run_cli


def test_help_lists_the_commands_and_exits_0():
    p = run_cli("--help")
    assert p.returncode == 0, p.stderr
    for word in ("serve", "init", "token create"):
        assert word in p.stdout


def test_serve_help_lists_every_option_and_its_environment_variable():
    p = run_cli("serve", "--help")
    assert p.returncode == 0, p.stderr
    for word in ("--listen", "--db", "--timezone", "--sweep-interval", "OPSTASKS_LISTEN", "OPSTASKS_DB",
                 "OPSTASKS_TIMEZONE", "OPSTASKS_SWEEP_INTERVAL"):
        assert word in p.stdout, word


def test_token_create_help_exits_0():
    p = run_cli("token", "create", "--help")
    assert p.returncode == 0 and "--role" in p.stdout


def test_token_without_a_subcommand_prints_usage_on_stderr_and_exits_2():
    p = run_cli("token")
    assert p.returncode == 2 and p.stdout == "" and "usage: opstasks token create" in p.stderr


def test_version_prints_the_name_and_a_version():
    p = run_cli("--version")
    assert p.returncode == 0
    assert p.stdout.startswith("opstasks ") and len(p.stdout.split()) == 2


@pytest.mark.parametrize("args", [
    ["serve", "--bogus"],
    ["serve", "--sweep-interval", "abc"],
    ["serve", "--sweep-interval", "0"],
    ["serve", "--sweep-interval", "-5"],
    ["serve", "--timezone", "Not/AZone"],
    ["serve", "--timezone", "../../etc/passwd"],
    ["serve", "--listen", "nonsense"],
    ["serve", "--listen", "127.0.0.1:99999"],
    ["serve", "--db"],
    ["serve", "stray"],
    ["frobnicate"],
    [],
    ["token", "create", "--db", "DB", "--role", "king"],
    ["token", "create", "--role", "admin"],
    ["token", "create", "--db", "DB", "--role", "admin", "--staff", "bob"],
    ["token", "destroy"],
])
def test_bad_command_line_prints_one_line_on_stderr_and_exits_2(tmp_path, args):
    args = [str(tmp_path / "x.db") if a == "DB" else a for a in args]
    p = run_cli(*args)
    assert p.returncode == 2, (args, p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    if args:  # bare `opstasks` prints the usage
        assert len(lines) == 1, p.stderr
    assert p.stdout == ""


def test_token_create_prints_only_the_token_and_stores_only_a_hash(tmp_path):
    db = new_db_uri(tmp_path)
    p = run_cli("token", "create", "--db", db, "--role", "agent", "--name", "desk")
    assert p.returncode == 0, p.stderr
    tok = p.stdout.strip()
    assert p.stdout == tok + "\n" and " " not in tok and len(tok) >= 32
    if ON_PG:
        assert tok not in repr(db_query(db, "SELECT * FROM tokens"))
    for f in tmp_path.iterdir():
        assert tok.encode() not in f.read_bytes()


def test_token_for_an_unknown_staff_member_is_refused(tmp_path):
    p = run_cli("token", "create", "--db", new_db_uri(tmp_path), "--role", "agent", "--staff", "sta_nobody")
    assert p.returncode != 0 and p.stdout == ""


def test_init_prints_a_working_admin_token_once(tmp_path):
    db = new_db_uri(tmp_path)
    p = run_cli("init", "--db", db)
    assert p.returncode == 0, p.stderr
    words = [w.strip("'\"") for w in p.stdout.split()]
    toks = {w for w in words if w.startswith("ops_")}
    assert len(toks) == 1, p.stdout
    tok = toks.pop()
    again = run_cli("init", "--db", db)
    assert again.returncode == 0 and tok not in again.stdout
    s = Server(tmp_path, db=str(db)).start()
    try:
        assert s.get("/ops/tasks", token=tok).status == 200
    finally:
        s.stop()


def test_serve_reads_its_options_from_the_environment(tmp_path):
    db = new_db_uri(tmp_path)
    env = child_env({"OPSTASKS_LISTEN": "127.0.0.1:0", "OPSTASKS_DB": str(db),
                     "OPSTASKS_TIMEZONE": "Asia/Tokyo", "OPSTASKS_SWEEP_INTERVAL": "5"})
    p = subprocess.Popen([BIN, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=env)
    try:
        ready, _, _ = select.select([p.stdout], [], [], 10 * SLOW)
        assert ready, "no listening line"
        line = os.read(p.stdout.fileno(), 4096).decode()
        assert line.startswith("listening on http://127.0.0.1:"), line
        assert ON_PG or os.path.exists(db)
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(15 * SLOW) == 0
        p.stdout.close()
