"""A stand-in for systemd's notify socket: receives sd_notify datagrams on
PATH and appends each, with a timestamp, to OUT. Stops after SECONDS."""
import os
import socket
import sys
import time

path, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.2)
end = time.time() + seconds
with open(out, "a", buffering=1) as f:
    print("ready", file=f)
    while time.time() < end:
        try:
            data = s.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            continue
        for line in data.splitlines():
            print("%.3f %s" % (time.time(), line), file=f)
os.unlink(path)
