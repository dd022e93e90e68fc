"""SQLite's write-ahead log under the server: checkpoints run on a thread of
their own (never inside a commit), keep the WAL bounded while writes come,
and give its disk space back once the server is idle."""
import os

from conftest import sqlite_only, wait_until


@sqlite_only("PostgreSQL has its own WAL and checkpointer")
def test_the_wal_stays_bounded_under_writes_and_is_emptied_when_idle(make_server):
    s = make_server()
    wal = s.db + "-wal"
    biggest = 0
    for i in range(1500):
        s.task(title=f"Write {i}", description="x" * 2000)
        if i % 100 == 0 and os.path.exists(wal):
            biggest = max(biggest, os.path.getsize(wal))
    # the writer finishes a checkpoint itself past 4,000 pages of 4 KiB (16
    # MiB); a group's pages may come on top. Without checkpoints that keep
    # up, these 1,500 creates make a WAL of ~150 MiB.
    assert biggest < 32 * 1024 * 1024, biggest
    wait_until(lambda: not os.path.exists(wal) or os.path.getsize(wal) == 0, 20, interval=0.2,
               what="the WAL truncated once idle")
    assert len(s.get("/ops/tasks?status=OPEN&limit=500").json()["data"]) == 500
