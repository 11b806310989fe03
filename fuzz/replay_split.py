#!/usr/bin/env python3
"""Replays an http fuzz input against a running `ming serve` on 127.0.0.1:PORT, the whole
byte stream at once and then split at each CUT (or the input's own cut points), and prints
how many responses each way got and whether the server reset the connection.

Usage: replay_split.py INPUT PORT [CUT...]   (the input's first byte and cut bytes are
decoded as fuzz/http_fuzz.cc does; any model will do, the statuses are mostly 404/501)."""
import socket
import sys
import time

raw = open(sys.argv[1], "rb").read()
ncuts, pos, own = raw[0] % 4, 1, []
for _ in range(ncuts):
    own.append(raw[pos] | raw[pos + 1] << 8)
    pos += 2
data = raw[pos:][:4096]
own = sorted(c % (len(data) + 1) for c in own)
port = int(sys.argv[2])


def exchange(cuts):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    at = 0
    for c in cuts + [len(data)]:
        s.sendall(data[at:c])
        at = c
        time.sleep(0.0001)
    s.settimeout(0.3)
    got, reset = b"", False
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    except ConnectionResetError:
        reset = True
    s.close()
    return got.count(b"HTTP/1.1 "), reset


print("whole:", exchange([]))
for cut in [int(c) for c in sys.argv[3:]] or own:
    print("split at", cut, ":", exchange([cut]))
