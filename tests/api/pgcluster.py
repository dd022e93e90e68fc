"""A throwaway PostgreSQL cluster of a test's own, for the tests that stop
and kill the database server itself (the outage tests): initdb in a
temporary folder, listening on a Unix socket there only (no TCP port), run
as the `postgres` user when the tests run as root. Stopped and removed by
the fixture that made it, also when the test fails."""
import glob
import os
import shutil
import subprocess
import tempfile

AS_ROOT = os.geteuid() == 0


def pg_bin():
    """The newest installed PostgreSQL's bin folder (Debian's layout), or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    return dirs[-1] if dirs else None


class Cluster:
    def __init__(self):
        # in /tmp itself: the postgres user must reach the folder, and a
        # Unix socket's path has at most 107 bytes
        self.folder = tempfile.mkdtemp(prefix="opstasks-pg-")
        self.data = os.path.join(self.folder, "data")
        self.bin = pg_bin()
        self.running = False

    def _run(self, *args, timeout=60, check=True):
        cmd = [os.path.join(self.bin, args[0]), *args[1:]]
        if AS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check,
                              stdin=subprocess.DEVNULL)

    def init(self):
        if AS_ROOT:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--locale=C.UTF-8", "-E", "UTF8")
        return self

    def start(self):
        opts = f"-k {self.folder} -c listen_addresses='' -c max_connections=200 -c fsync=on"
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.folder, "log"), "-w", "-t", "60", "-o", opts,
                  "start")
        self.running = True
        return self

    def stop(self, mode="fast"):
        """mode "immediate" is a crash: no checkpoint, recovery at the next start."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)
        self.running = False

    def createdb(self, name):
        self._run("createdb", "-h", self.folder, "-U", "postgres", name)
        return f"postgresql:///{name}?host={self.folder}&user=postgres"

    def remove(self):
        if self.running:
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
