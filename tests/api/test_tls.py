"""Direct HTTPS (--tls-cert/--tls-key, libmicrohttpd with GnuTLS): the API
over TLS with a self-signed certificate made here by openssl, HSTS on HTTPS
answers only, Secure cookies, plain HTTP refused on the TLS port, and a
missing, bad or mismatched certificate or key stopping the start with one
line."""
import os
import select
import shutil
import socket
import ssl
import subprocess

import pytest

from conftest import BIN, SLOW, assert_error, child_env, raw_connect, read_response_head, run_cli

HSTS = "max-age=31536000"


def make_cert(folder, name, cn="127.0.0.1"):
    cert, key = os.path.join(folder, f"{name}.crt"), os.path.join(folder, f"{name}.key")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", f"/CN={cn}", "-addext", f"subjectAltName=IP:{cn}"],
                       capture_output=True, text=True, timeout=60 * SLOW, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.fail("openssl is missing: scripts/deps.sh installs it")
    d = str(tmp_path_factory.mktemp("certs"))
    return {"good": make_cert(d, "good"), "other": make_cert(d, "other"), "dir": d}


def context_for(cert):
    ctx = ssl.create_default_context(cafile=cert)  # verifies the chain and 127.0.0.1 against the SAN
    return ctx


@pytest.fixture(scope="module")
def tls(certs, tmp_path_factory):
    from conftest import Server
    cert, key = certs["good"]
    s = Server(tmp_path_factory.mktemp("tls"), extra_args=["--tls-cert", cert, "--tls-key", key],
               ssl_context=context_for(cert)).start()
    yield s
    if s.proc:
        s.stop()


def test_https_answers_healthz_with_hsts(tls):
    r = tls.get("/healthz", token=None)
    assert r.status == 200 and r.json() == {"status": "ok"}
    assert r.header("Strict-Transport-Security") == HSTS
    assert r.header("X-Request-Id")
    tls.healthy()


def test_an_authenticated_create_over_https_is_stored(tls):
    r = tls.post("/ops/tasks", {"title": "over TLS", "due_date": "2039-01-01"})
    assert r.status == 201, r
    assert r.header("Strict-Transport-Security") == HSTS
    got = tls.get(f"/ops/tasks/{r.json()['id']}")
    assert got.status == 200 and got.json()["title"] == "over TLS"
    e = tls.get("/ops/tasks", token=None)
    assert_error(e, 401, "unauthorized")
    assert e.header("Strict-Transport-Security") == HSTS


def test_sign_in_over_direct_https_marks_the_cookies_secure(tls):
    r = tls.post("/login", {"token": tls.admin}, token=None, headers={"Origin": f"https://127.0.0.1:{tls.port}"})
    assert r.status == 200, r
    cookies = [v for k, v in r.headers if k.lower() == "set-cookie"]
    assert len(cookies) == 2 and all("; Secure" in c for c in cookies), cookies


def test_plain_http_answers_carry_no_hsts(server):
    r = server.get("/healthz", token=None)
    assert r.status == 200 and r.header("Strict-Transport-Security") is None


def test_plain_http_to_the_tls_port_gets_no_http_answer(tls):
    s = raw_connect(tls.port)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = read_response_head(s, timeout=5)
    finally:
        s.close()
    assert not head.startswith(b"HTTP/"), head[:200]
    assert b'"status":"ok"' not in head
    tls.healthy()


def test_a_client_that_does_not_trust_the_certificate_is_refused(tls, certs):
    import http.client
    c = http.client.HTTPSConnection("127.0.0.1", tls.port, timeout=10 * SLOW,
                                    context=context_for(certs["other"][0]))
    with pytest.raises(ssl.SSLCertVerificationError):
        c.request("GET", "/healthz")
    c.close()
    tls.healthy()


@pytest.fixture
def files(certs, tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    good_cert, good_key = certs["good"]
    return {"cert": good_cert, "key": good_key, "other_key": certs["other"][1], "garbage": str(garbage),
            "empty": str(empty), "missing": str(tmp_path / "missing.pem"), "dir": str(tmp_path)}


@pytest.mark.parametrize("cert,key,named", [
    ("missing", "key", "missing"),
    ("cert", "missing", "missing"),
    ("garbage", "key", "garbage"),
    ("cert", "garbage", "garbage"),
    ("empty", "key", "empty"),
    ("dir", "key", "--tls-cert"),
    ("cert", "other_key", "do not match"),
    ("key", "cert", "--tls-cert"),
])
def test_a_bad_certificate_or_key_stops_the_start_with_one_line(files, tmp_path, cert, key, named):
    p = run_cli("serve", "--db", tmp_path / "x.db", "--listen", "127.0.0.1:0",
                "--tls-cert", files[cert], "--tls-key", files[key])
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == "" and p.stderr.count("\n") == 1 and p.stderr.startswith("opstasks: "), p.stderr
    assert named in p.stderr, p.stderr


@pytest.mark.parametrize("args,env", [
    (["--tls-cert", "x.crt"], None),
    (["--tls-key", "x.key"], None),
    ([], {"OPSTASKS_TLS_CERT": "x.crt"}),
    (["--tls-cert", "x.crt"], {"OPSTASKS_TLS_KEY": ""}),
])
def test_a_certificate_without_a_key_or_the_reverse_exits_2(tmp_path, args, env):
    p = run_cli("serve", "--db", tmp_path / "x.db", "--listen", "127.0.0.1:0", *args, env=env)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--tls-key" in p.stderr, p.stderr


def test_certificate_and_key_from_the_environment_serve_https(certs, tmp_path):
    cert, key = certs["good"]
    p = subprocess.Popen([BIN, "serve", "--db", str(tmp_path / "x.db"), "--listen", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                         env=child_env({"OPSTASKS_TLS_CERT": cert, "OPSTASKS_TLS_KEY": key}))
    try:
        ready, _, _ = select.select([p.stdout], [], [], 10 * SLOW)
        line = p.stdout.readline().decode() if ready else ""
        assert line.startswith("listening on https://127.0.0.1:"), line
    finally:
        p.terminate()
        code = p.wait(15 * SLOW)
        p.stdout.close()
    assert code == 0


def test_the_metrics_address_stays_plain_http_beside_https(certs, make_server):
    import http.client
    import re
    cert, key = certs["good"]
    s = make_server(extra_args=["--tls-cert", cert, "--tls-key", key, "--metrics-listen", "127.0.0.1:0"],
                    ssl_context=context_for(cert))
    from test_metrics import metrics_port
    port = metrics_port(s)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read().decode()
    finally:
        c.close()
    assert r.status == 200 and re.search(r"^opstasks_", body, re.M), body[:300]


def test_a_connection_over_the_total_on_https_gets_no_plain_text(certs, make_server):
    """Past --max-connections the plain-HTTP listener answers a canned 503; on
    a TLS listener that text would be garbage to a TLS client: it is closed."""
    cert, key = certs["good"]
    s = make_server(extra_args=["--tls-cert", cert, "--tls-key", key, "--max-connections", "3",
                                "--max-connections-per-address", "2"], ssl_context=context_for(cert))
    held = []
    try:
        for i in range(3):  # fill the total from other addresses
            h = socket.create_connection(("127.0.0.1", s.port), timeout=10 * SLOW,
                                         source_address=(f"127.0.0.{10 + i}", 0))
            held.append(h)
        extra = socket.create_connection(("127.0.0.1", s.port), timeout=10 * SLOW, source_address=("127.0.0.20", 0))
        held.append(extra)
        extra.settimeout(5 * SLOW)
        got = b""
        try:
            while len(got) < 4096:
                chunk = extra.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, TimeoutError, OSError):
            pass
        assert not got.startswith(b"HTTP/"), got[:200]
    finally:
        for h in held:
            h.close()
