"""pytest fixtures: `server` is one real opstasks process per test module
(tests there use their own ids so they don't interfere); `fresh` is a new
process on a new database for tests that need one."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from opsserver import Server  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmpdir=str(tmp_path_factory.mktemp("srv"))).start()
    yield s
    s.stop()


@pytest.fixture
def fresh(tmp_path):
    servers = []

    def make(**kw):
        s = Server(tmpdir=str(tmp_path), **kw).start()
        servers.append(s)
        return s

    yield make
    for s in servers:
        if s.proc:
            s.stop()
