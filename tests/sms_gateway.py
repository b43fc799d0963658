"""A 46elks-style SMS gateway for the tests: POST /a1/sms with Basic auth and
form fields from, to, message. Answers from a script, one status a request:

usage: sms_gateway.py PORT USER PASSWORD OUTFILE SCRIPT SECONDS
SCRIPT is a comma-separated list like "503,429:120,200" (status[:Retry-After]);
when it runs out, every request gets 200. Each request is appended to OUTFILE
as one JSON line with the status it got. Stops by itself after SECONDS.
"""
import base64
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, user, password, outfile, script, seconds = sys.argv[1:7]
steps = [s for s in script.split(",") if s]
lock = threading.Lock()
count = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as they are written

    def log_message(self, *args):
        pass

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
        status = int(status)
        if self.path != "/a1/sms":
            status = 404
        elif self.headers.get("Authorization") != want:
            status = 401
        with open(outfile, "a", encoding="utf-8") as f:
            f.write(json.dumps({"status": status, "peer": self.client_address[1],
                                **fields}, ensure_ascii=False) + "\n")
        reply = (json.dumps({"id": "s%04d" % n, "status": "created"}) if status == 200
                 else "error %d" % status).encode()
        self.send_response(status)
        if retry:
            self.send_header("Retry-After", retry)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
threading.Timer(float(seconds), server.shutdown).start()
print("ready", flush=True)
server.serve_forever()
