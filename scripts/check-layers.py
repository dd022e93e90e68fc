#!/usr/bin/env python3
"""check-layers.py: the dependency graph of src/, checked against the layers.

A module is a file without its extension (src/api/tasks.c and .h are one
node, "api/tasks"). Two graphs: the #include lines, and, when the objects are
built (BUILD_DIR/obj/src, by default build), the calls: a module depends on
the module whose object defines a symbol its object uses (nm), which finds a
cycle that one wide header hides. Prints every cycle between modules, and
every dependency that runs up or sideways against the layer order (higher
may use lower):

    main  >  cmd  >  api  >  http, jobs  >  service  >  store  >  domain  >  util

http/ and jobs/ share a rank and may not include each other; so http/ knows
nothing of api/. Exit status 1 when anything is reported. Usage:
scripts/check-layers.py [SRC_DIR [BUILD_DIR]]
"""
import os
import re
import subprocess
import sys

RANK = {"main": 8, "cmd": 7, "api": 6, "http": 5, "jobs": 5, "service": 4, "store": 3, "domain": 2, "util": 1,
        "web": 1}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(path, src):
    rel = os.path.relpath(path, src)
    return os.path.splitext(rel)[0]


def layer(mod):
    return mod.split("/", 1)[0] if "/" in mod else "main"


def graph(src):
    g = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            mod = module(path, src)
            deps = g.setdefault(mod, {})
            with open(path, encoding="utf-8", errors="replace") as fh:
                for inc in INCLUDE.findall(fh.read()):
                    for cand in (os.path.join(src, inc), os.path.join(root, inc)):
                        if os.path.exists(cand):
                            dep = module(cand, src)
                            if dep != mod:
                                deps.setdefault(dep, f"{os.path.relpath(path, src)} includes \"{inc}\"")
                            break
    return g


def symbol_graph(objdir, src):
    """module -> {module: why} from the objects' defined and undefined symbols
    (objects whose source is gone, left from before a move, are skipped)."""
    defined, used = {}, {}
    for root, _, files in os.walk(objdir):
        for f in files:
            if not f.endswith(".o"):
                continue
            path = os.path.join(root, f)
            mod = module(path, objdir)
            if not os.path.exists(os.path.join(src, mod + ".c")):
                continue
            out = subprocess.run(["nm", "-P", path], capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) < 2:
                    continue
                name, kind = parts[0], parts[1]
                if kind == "U":
                    used.setdefault(mod, set()).add(name)
                elif kind in "TDBRCGS":
                    defined[name] = mod
    g = {m: {} for m in set(defined.values()) | set(used)}
    for mod, names in used.items():
        for name in sorted(names):
            dep = defined.get(name)
            if dep and dep != mod:
                g[mod].setdefault(dep, f"{mod}.o uses {name}")
    return g


def check(g, what):
    bad = 0
    for comp in cycles(g):
        bad += 1
        print(f"{what} cycle: " + " <-> ".join(comp))
        for a in comp:
            for b, why in sorted(g[a].items()):
                if b in comp:
                    print(f"    {why}")
    for a in sorted(g):
        for b, why in sorted(g[a].items()):
            la, lb = layer(a), layer(b)
            if la == lb or la not in RANK or lb not in RANK:
                continue
            if RANK[lb] >= RANK[la]:
                bad += 1
                kind = "up" if RANK[lb] > RANK[la] else "sideways"
                print(f"{what} {kind}: {la}/ -> {lb}/: {why}")
    n_edges = sum(len(d) for d in g.values())
    print(f"{what}: {len(g)} modules, {n_edges} dependencies, {bad} problem(s)")
    return bad


def cycles(g):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "src"
    build = sys.argv[2] if len(sys.argv) > 2 else "build"
    bad = check(graph(src), "include")
    objdir = os.path.join(build, "obj", "src")
    if os.path.isdir(objdir):
        bad += check(symbol_graph(objdir, src), "call")
    else:
        print(f"call: no objects in {objdir} (run make first)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
