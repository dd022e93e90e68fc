#!/usr/bin/env python3
"""streams.py: holds COUNT open live streams (GET /ops/stream) on 127.0.0.1:PORT
for bench/run.sh's memory figure. Opens them all, reads each one's answer
headers, prints "open K of COUNT" once every stream has answered or after
30 s, then keeps reading (and dropping) what they send until STOP_FILE exists
or 120 s have passed, and closes them. The token comes from OPSTASKS_TOKEN.
  usage: streams.py PORT COUNT STOP_FILE"""
import os
import selectors
import socket
import sys
import time


def main():
    port, count, stop_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    token = os.environ["OPSTASKS_TOKEN"]
    req = (f"GET /ops/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
           "Accept: text/event-stream\r\n\r\n").encode()
    sel = selectors.DefaultSelector()
    heads = {}
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(req)
        s.setblocking(False)
        socks.append(s)
        heads[s] = b""
        sel.register(s, selectors.EVENT_READ)
    ok = bad = 0
    deadline = time.monotonic() + 30
    while heads and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if s not in heads:
                continue
            if not data:
                del heads[s]
                bad += 1
                sel.unregister(s)
                continue
            heads[s] += data
            if b"\r\n\r\n" in heads[s]:
                status = heads[s].split(b"\r\n", 1)[0]
                if b" 200 " in status:
                    ok += 1
                else:
                    bad += 1
                    sel.unregister(s)
                del heads[s]
    print(f"open {ok} of {count}" + (f" ({bad} refused or closed, {len(heads)} unanswered)" if ok < count else ""),
          flush=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            try:
                if not key.fileobj.recv(65536):
                    sel.unregister(key.fileobj)
            except BlockingIOError:
                pass
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
