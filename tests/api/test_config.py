"""`opstasks serve --config FILE`: the same options as the flags, one
`name = value` a line; a flag wins over the environment, which wins over the
file, which wins over the default; bad lines are refused with their number."""
import os
import select
import signal
import subprocess

import pytest

from conftest import BIN, SLOW, child_env, run_cli


def serve(args, env=None):
    """Starts serve; returns (process, first stdout line) or (process, None) when it exited."""
    p = subprocess.Popen([BIN, "serve", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=child_env(env))
    ready, _, _ = select.select([p.stdout], [], [], 10 * SLOW)
    line = os.read(p.stdout.fileno(), 4096).decode() if ready else ""
    return p, line


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        assert p.wait(15 * SLOW) == 0
    finally:
        p.stdout.close()
        p.stderr.close()


def test_serve_takes_every_option_from_the_config_file(tmp_path):
    db = tmp_path / "from-config.db"
    conf = tmp_path / "opstasks.conf"
    conf.write_text(f"# opstasks\n\nlisten = 127.0.0.1:0\ndb = {db}\n  timezone = Asia/Tokyo  \n"
                    "sweep-interval = 5\nevents-retention-days = 30\nevents-limit-mib-per-minute = 4\n")
    p, line = serve(["--config", conf])
    try:
        assert line.startswith("listening on http://127.0.0.1:"), (line, p.stderr.read1().decode())
        assert db.exists()
    finally:
        stop(p)


def test_flags_win_over_the_environment_and_the_environment_over_the_config_file(tmp_path):
    in_conf, in_env, in_flag = tmp_path / "conf.db", tmp_path / "env.db", tmp_path / "flag.db"
    conf = tmp_path / "c.conf"
    conf.write_text(f"listen = 127.0.0.1:0\ndb = {in_conf}\n")
    p, line = serve(["--config", conf], env={"OPSTASKS_DB": str(in_env)})
    try:
        assert line.startswith("listening on"), line
        assert in_env.exists() and not in_conf.exists()
    finally:
        stop(p)
    p, line = serve(["--config", conf, "--db", in_flag], env={"OPSTASKS_DB": str(in_env)})
    try:
        assert line.startswith("listening on"), line
        assert in_flag.exists() and not in_conf.exists()
    finally:
        stop(p)


def test_the_config_file_may_be_named_by_the_environment(tmp_path):
    db = tmp_path / "e.db"
    conf = tmp_path / "e.conf"
    conf.write_text(f"listen = 127.0.0.1:0\ndb = {db}\n")
    p, line = serve([], env={"OPSTASKS_CONFIG": str(conf)})
    try:
        assert line.startswith("listening on"), line
        assert db.exists()
    finally:
        stop(p)


@pytest.mark.parametrize("text,line,words", [
    ("listen = 127.0.0.1:0\nlisen = 127.0.0.1:0\n", 2, "unknown option 'lisen'"),
    ("# the interval\nsweep-interval = 0\n", 2, "sweep-interval must be a whole number from 1 to 86400, not '0'"),
    ("\n\n\nevents-retention-days = soon\n", 4, "events-retention-days must be a whole number"),
    ("db = a.db\nlisten 127.0.0.1:0\n", 2, "expected 'name = value'"),
    ("db = a.db\ndb = b.db\n", 2, "db is set already on line 1"),
    ("listen = 127.0.0.1:0  # inline comments are not comments\n", 1, "listen must be HOST:PORT"),
    ("timezone = Mars/Olympus\n", 1, "timezone 'Mars/Olympus' is not an IANA timezone"),
    ("config = /etc/other.conf\n", 1, "a config file cannot name another one"),
])
def test_a_bad_config_line_is_refused_with_its_number_and_exit_2(tmp_path, text, line, words):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    args = ["serve", "--config", conf, "--db", tmp_path / "x.db"]
    if "listen" not in text:  # else the file's listen line is the one under test
        args += ["--listen", "127.0.0.1:0"]
    p = run_cli(*args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stdout == "" and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert f"{conf}:{line}: " in p.stderr and words in p.stderr, p.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_missing_config_file_is_refused_with_exit_2(tmp_path):
    p = run_cli("serve", "--config", tmp_path / "none.conf")
    assert p.returncode == 2 and "none.conf" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_serve_help_lists_config_and_the_new_options():
    out = run_cli("serve", "--help").stdout
    for word in ("--config FILE", "OPSTASKS_CONFIG", "--events-retention-days", "OPSTASKS_EVENTS_RETENTION_DAYS",
                 "--events-limit-mib-per-minute", "OPSTASKS_EVENTS_LIMIT_MIB_PER_MINUTE"):
        assert word in out, word


def test_print_config_gives_a_file_serve_accepts_with_every_line_uncommented(tmp_path):
    p = run_cli("serve", "--print-config")
    assert p.returncode == 0 and p.stderr == ""
    settings = [ln[1:] for ln in p.stdout.splitlines() if ln.startswith("#") and " = " in ln and
                not ln.startswith("# ")]
    assert any(s.startswith("listen = ") for s in settings) and any(
        s.startswith("events-limit-mib-per-minute = 16") for s in settings), settings
    conf = tmp_path / "all.conf"
    conf.write_text(p.stdout + "\n".join(settings) + "\n")
    db = tmp_path / "x.db"
    proc, line = serve(["--config", conf, "--listen", "127.0.0.1:0", "--db", db])
    try:
        assert line.startswith("listening on"), (line, proc.stderr.read1().decode())
    finally:
        stop(proc)
