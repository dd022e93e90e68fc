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
