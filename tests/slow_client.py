#!/usr/bin/python3
"""slow_client.py - clients that hold backad-web's connections (tests/it_web.sh).

  slow_client.py loris PORT SOURCE N SECONDS
      N connections from address SOURCE, each sending an unfinished request
      head; prints how many the server closed at once, then holds the rest
      SECONDS.
  slow_client.py body PORT
      a chunked POST body sent 256 bytes at a time, 0.3 s apart, past the
      1 KiB limit; prints the status line of the answer and the seconds
      until it came.
"""
import socket
import sys
import time


def loris(port, source, n, hold):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.connect(('127.0.0.1', port))
        s.sendall(b'GET /a/x HTTP/1.1\r\nHost: x\r\n')
        socks.append(s)
    time.sleep(0.5)
    closed = 0
    for s in socks:
        s.settimeout(0.05)
        try:
            if s.recv(100) == b'':
                closed += 1
        except socket.timeout:
            pass
        except OSError:
            closed += 1
    print(closed, flush=True)
    time.sleep(hold)


def body(port):
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(b'POST /a/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
              b'Content-Type: application/x-www-form-urlencoded\r\n\r\n')
    s.settimeout(0.3)
    t0, got = time.time(), b''
    for _ in range(40):
        try:
            s.sendall(b'100\r\n' + b'x' * 256 + b'\r\n')
        except OSError:
            break
        try:
            d = s.recv(4096)
            if not d:
                break
            got += d
        except socket.timeout:
            pass
    print(got.split(b'\r\n')[0].decode() if got else 'none', round(time.time() - t0, 1))


if __name__ == '__main__':
    if sys.argv[1] == 'loris':
        loris(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    else:
        body(int(sys.argv[2]))
