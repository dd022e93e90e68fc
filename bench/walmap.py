#!/usr/bin/env python3
"""walmap.py DB: which table or index each frame of DB-wal writes, to see
where a write's bytes go. Take the copy from a server stopped with SIGSTOP
mid-burst (cp DB DB-wal elsewhere, then kill it): the frames since the last
checkpoint are the sample. Each page number is named by SQLite's dbstat
over the copy with its WAL applied, so a page that changed owner within the
sample is counted as its last owner's."""
import collections
import shutil
import sqlite3
import struct
import sys
import tempfile

db = sys.argv[1]
with open(db + "-wal", "rb") as f:
    wal = f.read()
_, _, page_size, _, salt1, salt2, _, _ = struct.unpack(">IIIIIIII", wal[:32])
frames, off = [], 32
while off + 24 + page_size <= len(wal):
    page, commit, s1, s2 = struct.unpack(">IIII", wal[off:off + 16])
    if (s1, s2) != (salt1, salt2):
        break  # frames of an earlier generation of the WAL: not this sample's
    frames.append((page, commit))
    off += 24 + page_size
with tempfile.TemporaryDirectory() as tmp:
    shutil.copy(db, tmp + "/x.db")
    shutil.copy(db + "-wal", tmp + "/x.db-wal")
    con = sqlite3.connect(tmp + "/x.db")
    owner = dict(con.execute("SELECT pageno, name FROM dbstat"))
    con.close()
commits = max(1, sum(1 for _, c in frames if c))
print(f"{len(frames)} frames, {commits} commits, {len(frames) / commits:.1f} frames a commit")
for name, n in collections.Counter(owner.get(p, "(free or past the end)") for p, _ in frames).most_common(40):
    print(f"{n:7d} {n / commits:6.2f} a commit  {name}")
