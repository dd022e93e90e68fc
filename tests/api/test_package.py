"""`make deb` and contrib/opstasks.service: the package lists the binary, the
unit and the conffile with its runtime Depends; the extracted binary serves
with the extracted config; the unit passes `systemd-analyze verify`; and the
README's way of running the CLI as root beside a service user leaves every
file owned by that user."""
import glob
import http.client
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import conftest
from conftest import BIN, SAN, SLOW, Server, child_env, run_cli, sqlite_only

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = os.path.join(REPO, "contrib", "opstasks.service")


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """Builds the package with `make deb` from the binary under test."""
    build = os.path.dirname(BIN)
    p = subprocess.run(["make", "--no-print-directory", "-s", "deb", f"BUILD={build}", f"SAN={'1' if SAN else ''}"],
                       cwd=REPO, capture_output=True, text=True, timeout=300 * SLOW)
    assert p.returncode == 0, p.stdout + p.stderr
    found = glob.glob(os.path.join(build, "opstasks_*_*.deb"))
    assert len(found) == 1, found
    path = found[0]
    version = run_cli("--version").stdout.split()[1]
    assert os.path.basename(path) == f"opstasks_{version}_amd64.deb"
    root = tmp_path_factory.mktemp("deb-x")
    subprocess.run(["dpkg-deb", "-x", path, str(root)], check=True, timeout=60)
    return path, root


def test_the_package_holds_the_binary_the_unit_and_the_config_as_a_conffile(deb):
    path, _ = deb
    listing = subprocess.run(["dpkg-deb", "-c", path], capture_output=True, text=True, check=True).stdout
    files = {line.split()[-1] for line in listing.splitlines()}
    for f in ("./usr/bin/opstasks", "./lib/systemd/system/opstasks.service", "./etc/opstasks/opstasks.conf"):
        assert f in files, listing
    assert "root/root" in listing and "-rwxr-xr-x root/root" in [ln for ln in listing.splitlines()
                                                                if ln.endswith("/usr/bin/opstasks")][0][:30]

    def field(name):
        return subprocess.run(["dpkg-deb", "-f", path, name], capture_output=True, text=True,
                              check=True).stdout.strip()
    assert field("Package") == "opstasks" and field("Architecture") == "amd64"
    assert [d.strip() for d in field("Depends").split(",")] == [
        "libmicrohttpd12", "libjansson4", "libsqlite3-0", "libpq5", "libsodium23", "libgnutls30", "libcurl3-gnutls",
        "tzdata"]
    conffiles = subprocess.run(["dpkg-deb", "-I", path, "conffiles"], capture_output=True, text=True,
                               check=True).stdout
    assert conffiles.split() == ["/etc/opstasks/opstasks.conf"]


def test_every_library_the_binary_links_directly_is_a_dependency(deb):
    path, root = deb
    out = subprocess.run(["objdump", "-p", str(root / "usr/bin/opstasks")], capture_output=True, text=True,
                         check=True).stdout
    needed = set(re.findall(r"NEEDED\s+(\S+)", out))
    owners = set()
    for lib in needed:
        q = subprocess.run(["dpkg", "-S", f"*/{lib}"], capture_output=True, text=True)
        assert q.returncode == 0, (lib, q.stderr)
        owners |= {line.split(":")[0] for line in q.stdout.splitlines()}
    owners = {o for o in owners if not o.startswith(("libc6", "libgcc-s", "libasan", "libubsan", "libstdc++"))}
    deps = {d.strip() for d in subprocess.run(["dpkg-deb", "-f", path, "Depends"], capture_output=True, text=True,
                                              check=True).stdout.split(",")}
    assert owners and owners <= deps, (owners, deps)


def test_the_shipped_config_names_every_serve_option_and_sets_only_the_database(deb):
    _, root = deb
    text = (root / "etc/opstasks/opstasks.conf").read_text()
    active = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert active == ["db = /var/lib/opstasks/opstasks.db"], active
    names = re.findall(r"^  --([a-z][a-z0-9-]*) ", run_cli("serve", "--help").stdout, re.M)
    names = [n for n in names if n not in ("config", "print-config", "help")]
    assert "listen" in names and "events-retention-days" in names
    for n in names:
        assert re.search(rf"^#?{n} = ", text, re.M), n


def test_the_extracted_binary_serves_with_the_extracted_config(deb, tmp_path):
    _, root = deb
    binary, conf = str(root / "usr/bin/opstasks"), str(root / "etc/opstasks/opstasks.conf")
    db = str(tmp_path / "pkg.db")
    p = subprocess.Popen([binary, "serve", "--config", conf, "--db", db, "--listen", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=child_env())
    try:
        line = p.stdout.readline().decode()
        assert line.startswith("listening on http://127.0.0.1:"), (line, p.stderr.read1().decode())
        port = int(line.rsplit(":", 1)[1])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
        c.request("GET", "/healthz")
        r = c.getresponse()
        assert r.status == 200, r.read()
        c.close()
        assert os.path.exists(db)  # --db won over the config's /var/lib/opstasks
    finally:
        p.terminate()
        assert p.wait(15 * SLOW) == 0
        p.stdout.close()
        p.stderr.close()


def test_postinst_does_nothing_harmful_without_systemd(deb, tmp_path):
    path, _ = deb
    ctl = tmp_path / "ctl"
    subprocess.run(["dpkg-deb", "-e", path, str(ctl)], check=True)
    if os.path.isdir("/run/systemd/system"):
        pytest.skip("systemd runs here: postinst would talk to it")
    for script, arg in (("postinst", "configure"), ("prerm", "remove"), ("postrm", "purge")):
        p = subprocess.run(["sh", "-e", str(ctl / script), arg], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stdout == "" and p.stderr == "", (script, p)


def test_the_unit_passes_systemd_analyze_verify_without_a_warning(deb, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    _, root = deb
    text = (root / "lib/systemd/system/opstasks.service").read_text()
    assert text == open(UNIT).read()
    for line in ("DynamicUser=yes", "StateDirectory=opstasks", "ProtectSystem=strict", "ProtectHome=yes",
                 "PrivateTmp=yes", "NoNewPrivileges=yes", "SystemCallFilter=@system-service",
                 "ExecStart=/usr/bin/opstasks serve --config /etc/opstasks/opstasks.conf"):
        assert line in text.splitlines(), line
    assert any(ln.startswith("RestrictAddressFamilies=") for ln in text.splitlines())
    # verify checks that ExecStart exists: point it at the extracted binary
    unit = tmp_path / "opstasks.service"
    unit.write_text(text.replace("/usr/bin/opstasks", str(root / "usr/bin/opstasks")))
    p = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", p.stdout + p.stderr
    bad = tmp_path / "bad.service"
    bad.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystem=sideways"))
    p = subprocess.run(["systemd-analyze", "verify", str(bad)], capture_output=True, text=True, timeout=60)
    assert "sideways" in p.stderr  # the check above can fail


def owners(d):
    return {f: os.stat(os.path.join(d, f)).st_uid for f in os.listdir(d)}


@sqlite_only("the owner of the SQLite file and its -wal/-shm through backup, check and restore; on PostgreSQL "
             "opstasks makes no files of its own")
def test_the_cli_as_root_beside_a_service_user_leaves_every_file_owned_by_that_user(monkeypatch):
    """README's first-token, backup, check and restore steps run as root while
    the service runs as its own (dynamic) user: no file may end up root's."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv")
    uid = 65534  # nobody, standing in for the unit's dynamic user
    top = tempfile.mkdtemp(prefix="opstasks-svc-")
    try:
        os.chmod(top, 0o755)
        state = os.path.join(top, "state")
        os.mkdir(state, 0o700)
        os.chown(state, uid, uid)
        db = os.path.join(state, "opstasks.db")
        wrapper = os.path.join(top, "as-service-user")
        with open(wrapper, "w") as f:
            f.write(f"#!/bin/sh\nexec setpriv --reuid={uid} --regid={uid} --clear-groups {BIN} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        s = Server(top, db=db)

        def start_as_user():
            with monkeypatch.context() as m:
                m.setattr(conftest, "BIN", wrapper)  # Server.start runs conftest.BIN; run_cli stays root
                s.start()

        start_as_user()
        try:
            p = run_cli("token", "create", "--db", db, "--role", "admin")
            tok = p.stdout.strip()
            assert p.returncode == 0 and tok.startswith("ops_"), p.stderr
            tid = s.task(token=tok)["id"]
            backup = os.path.join(top, "backup.db")
            assert run_cli("backup", "--db", db, backup).returncode == 0
            assert run_cli("check", "--db", db).returncode == 0
            assert set(owners(state).values()) == {uid}, owners(state)
            later = s.task(token=tok, title="after the backup")["id"]
        finally:
            s.stop()
        # stopped: the CLI as root makes its own -wal/-shm and removes them again
        assert run_cli("check", "--db", db).returncode == 0
        assert set(owners(state).values()) == {uid}, owners(state)
        # restore as README says: cp over the existing file keeps its owner
        subprocess.run(["cp", backup, db], check=True)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
        assert set(owners(state).values()) == {uid}, owners(state)
        start_as_user()
        try:
            assert s.get_task(tid)["id"] == tid
            assert s.get(f"/ops/tasks/{later}", token=tok).status == 404
            assert s.task(token=tok)["status"] == "OPEN"  # the service user can write the restored file
        finally:
            s.stop()
    finally:
        shutil.rmtree(top, ignore_errors=True)
