"""The layers' include direction, read from the sources: http/ knows nothing
of api/ (it is handed its route tables at start, src/api/routes.c)."""
import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def includes(folder):
    """(file, included path) of every #include "..." in src/<folder>/."""
    out = []
    base = os.path.join(ROOT, "src", folder)
    for dirpath, _, files in os.walk(base):
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    for line in f:
                        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                        if m:
                            out.append((os.path.relpath(path, ROOT), m.group(1)))
    return out


def test_http_includes_nothing_from_api():
    found = includes("http")
    assert found, "no includes read from src/http"
    upward = [(f, inc) for f, inc in found if inc.startswith("api/")]
    assert upward == [], upward


def test_no_module_depends_on_one_above_it_or_forms_a_cycle():
    """scripts/check-layers.py over the sources and the objects of the binary
    under test: every include and every call runs down the layers
    (cmd > api > http, jobs > service > store > domain > util), no cycle."""
    import subprocess
    import sys
    build = os.path.dirname(os.environ.get("OPSTASKS_BIN") or os.path.join(ROOT, "build", "opstasks"))
    assert os.path.isdir(os.path.join(build, "obj", "src")), f"no objects in {build}/obj/src"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check-layers.py"), os.path.join(ROOT, "src"),
                        build], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 problem(s)" in r.stdout, r.stdout
