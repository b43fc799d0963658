"""A 46elks-style SMS gateway for the tests: POST /a1/sms with Basic auth and
form fields from, to, message. Answers from a script, one status a request:

usage: sms_gateway.py PORT USER PASSWORD OUTFILE SCRIPT SECONDS [REPORTS]
(PORT 0: a free port, printed in the line "ready PORT")
SCRIPT is a comma-separated list like "503,429:120,200" (status[:Retry-After]);
a Retry-After of "@N" is an HTTP-date N seconds after the reply's Date (N may
be negative). The step "reset" reads the request, then resets the connection
without a reply. When the script runs out, every request gets 200. Each
request is appended to OUTFILE as one JSON line with the status it got
("reset" for a reset), its Idempotency-Key if any, and the client's port.
Stops by itself after SECONDS.

REPORTS, a comma-separated list, says what delivery report each accepted
message that asked for one (whendelivered) gets, in the order they came:
"delivered", "failed", "duplicate" (delivered, twice), "unknown" (a report
with an id this gateway never gave), "none". The reports go out when the
test asks: GET /reports posts them all (form fields id, status, delivered,
as 46elks does), appends each with the answer it got to OUTFILE as
{"report": KIND, "url": ..., "answer": STATUS}, and answers 200. A request
that asked for a report has its KIND in its line ("dlr").
"""
import base64
import json
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, user, password, outfile, script, seconds = sys.argv[1:7]
steps = [s for s in script.split(",") if s]
reports = [r for r in (sys.argv[7] if len(sys.argv) > 7 else "").split(",") if r]
queued = []  # (kind, url, id) of accepted messages, in order
lock = threading.Lock()
count = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as they are written

    def log_message(self, *args):
        pass

    def record(self, status, fields):
        with open(outfile, "a", encoding="utf-8") as f:
            f.write(json.dumps({"status": status, "peer": self.client_address[1],
                                "key": self.headers.get("Idempotency-Key"),
                                **fields}, ensure_ascii=False) + "\n")

    def post_report(self, kind, url, sms_id, status):
        form = urllib.parse.urlencode({"id": sms_id, "status": status,
                                       "delivered": "2026-08-03T08:00:05.000000"}).encode()
        try:
            with urllib.request.urlopen(url, data=form, timeout=10) as r:
                answer = r.status
        except urllib.error.HTTPError as err:
            answer = err.code
        with open(outfile, "a", encoding="utf-8") as f:
            f.write(json.dumps({"report": kind, "url": url, "answer": answer}) + "\n")

    def do_GET(self):
        if self.path != "/reports":
            self.send_response_only(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with lock:
            todo = list(queued)
            queued.clear()
        for kind, url, sms_id in todo:
            if kind == "delivered":
                self.post_report(kind, url, sms_id, "delivered")
            elif kind == "failed":
                self.post_report(kind, url, sms_id, "failed")
            elif kind == "duplicate":
                self.post_report(kind, url, sms_id, "delivered")
                self.post_report(kind, url, sms_id, "delivered")
            elif kind == "unknown":
                self.post_report(kind, url, "s9999", "failed")
        self.send_response_only(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode("utf-8")
        fields = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        with lock:
            step = steps.pop(0) if steps else "200"
            count[0] += 1
            n = count[0]
        status, _, retry = step.partition(":")
        if status == "reset":
            self.record("reset", fields)
            # RST instead of FIN: the client sees the connection die.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        status = int(status)
        if self.path != "/a1/sms":
            status = 404
        elif self.headers.get("Authorization") != want:
            status = 401
        if status == 200 and fields.get("whendelivered"):
            # The kind of report goes with the request's line: the test
            # reads which message gets which.
            with lock:
                kind = reports.pop(0) if reports else "none"
                queued.append((kind, fields["whendelivered"], "s%04d" % n))
                self.record(status, {**fields, "dlr": kind})
        else:
            self.record(status, fields)
        reply = (json.dumps({"id": "s%04d" % n, "status": "created"}) if status == 200
                 else "error %d" % status).encode()
        now = int(time.time())
        self.send_response_only(status)
        self.send_header("Date", formatdate(now, usegmt=True))
        if retry.startswith("@"):
            retry = formatdate(now + int(retry[1:]), usegmt=True)
        if retry:
            self.send_header("Retry-After", retry)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
threading.Timer(float(seconds), server.shutdown).start()
print("ready", server.server_address[1], flush=True)  # PORT 0: a free one
server.serve_forever()
