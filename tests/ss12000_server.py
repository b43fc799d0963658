#!/usr/bin/env python3
"""ss12000_server.py - an SS 12000 API for the tests, from the public
specification's shapes: GET /organisations, /persons, /placements, /duties
(data + pageToken, limit, meta.modified.after) and /deletedEntities (after),
an OAuth2 client-credentials token endpoint, and faults on demand.

The state is a JSON file of whole entities ({"organisations": [...],
"persons": [...], "placements": [...], "duties": [...]}). Loading a new one
(POST /_load with the file's path) stamps meta.modified = now on every
entity that is new or changed and lists the ones that vanished in
/deletedEntities, as a school system would. POST /_fault with a JSON object
makes the next requests fail:
  {"path": "/persons", "status": 500, "times": 2, "retry_after": 1}
  {"path": "/duties", "malformed": true}
  {"path": "/placements", "hang": true}      (headers, half a page, silence)
  {"path": "/persons", "same_token": true}   (a pageToken that never changes)
GET /_log returns the requests served (path, time, status).

Usage: ss12000_server.py --port-file F --data FILE [--client ID --secret S]
                         [--tls-cert PEM --tls-key KEY [--client-ca PEM]]
Binds 127.0.0.1 on a free port and writes the port to F. With --tls-cert it
speaks HTTPS; with --client-ca it requires a client certificate that CA signed."""
import argparse
import base64
import copy
import datetime
import json
import os
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ("organisations", "persons", "placements", "duties")
ENDPOINTS = {"/" + k: k for k in KINDS}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(s):
    s = s.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(s)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.entities = {k: {} for k in KINDS}   # id -> entity (with meta)
        self.order = {k: [] for k in KINDS}
        self.deleted = []                        # (kind, id, time)
        self.fault = None
        self.log = []
        self.tokens = set()

    def load(self, path):
        with open(path, encoding="utf-8") as f:
            new = json.load(f)
        stamp = now_iso()
        with self.lock:
            for kind in KINDS:
                old = self.entities[kind]
                fresh = {}
                order = []
                for ent in new.get(kind, []):
                    ent = copy.deepcopy(ent)
                    prev = old.get(ent["id"])
                    body = {k: v for k, v in ent.items() if k != "meta"}
                    if prev is not None and {k: v for k, v in prev.items() if k != "meta"} == body:
                        ent["meta"] = prev["meta"]
                    else:
                        created = prev["meta"]["created"] if prev else stamp
                        ent["meta"] = {"created": created, "modified": stamp}
                    fresh[ent["id"]] = ent
                    order.append(ent["id"])
                for gone in set(old) - set(fresh):
                    self.deleted.append((kind, gone, stamp))
                self.entities[kind] = fresh
                self.order[kind] = order


STATE = State()


def token_encode(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).decode()


def token_decode(t):
    return json.loads(base64.urlsafe_b64decode(t.encode()).decode())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    client_id = None
    secret = None

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, extra=None):
        body = obj if isinstance(obj, bytes) else json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        STATE.log.append({"path": self.path, "time": time.time(), "status": status})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    def do_POST(self):
        path = urllib.parse.urlparse(self.path).path
        if path == "/_load":
            STATE.load(self.body().strip())
            return self.send_json(200, {"ok": True})
        if path == "/_fault":
            text = self.body().strip()
            with STATE.lock:
                STATE.fault = json.loads(text) if text else None
            return self.send_json(200, {"ok": True})
        if path == "/token":
            return self.token()
        return self.send_json(404, {"code": "not_found", "message": path})

    def token(self):
        auth = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        form = urllib.parse.parse_qs(self.body())
        if auth != want or form.get("grant_type") != ["client_credentials"]:
            return self.send_json(401, {"error": "invalid_client",
                                        "error_description": "wrong client id or secret"})
        tok = "tok-%d" % (len(STATE.tokens) + 1)
        STATE.tokens.add(tok)
        return self.send_json(200, {"access_token": tok, "token_type": "Bearer", "expires_in": 3600})

    def take_fault(self, path):
        with STATE.lock:
            f = STATE.fault
            if not f or f.get("path") not in (None, path):
                return None
            if "times" in f:
                f["times"] -= 1
                if f["times"] <= 0:
                    STATE.fault = None
            return dict(f)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/_log":
            return self.send_json(200, STATE.log[:])
        if self.secret is not None:
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in STATE.tokens:
                return self.send_json(401, {"code": "unauthorized",
                                            "message": "a valid bearer token is required"})
        fault = self.take_fault(url.path)
        if fault and fault.get("status"):
            extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
            return self.send_json(fault["status"], fault.get("body") or
                                  {"code": "error", "message": "simulated failure %d" % fault["status"]},
                                  extra)
        if fault and fault.get("malformed"):
            return self.send_json(200, b'{"data": [{"id": "x", "displayName": }')
        if fault and fault.get("hang"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'{"data": [')
            self.wfile.flush()
            STATE.log.append({"path": self.path, "time": time.time(), "status": 200})
            time.sleep(30)
            return
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/deletedEntities":
            return self.deleted(q)
        kind = ENDPOINTS.get(url.path)
        if not kind:
            return self.send_json(404, {"code": "not_found", "message": url.path})
        return self.page(kind, q, fault)

    def page(self, kind, q, fault):
        if "pageToken" in q:
            if len(q) > 1:
                return self.send_json(400, {"code": "bad_request",
                                            "message": "filters cannot be combined with pageToken"})
            t = token_decode(q["pageToken"][0])
            after, offset, limit = t["after"], t["offset"], t["limit"]
        else:
            after = q.get("meta.modified.after", [None])[0]
            offset, limit = 0, int(q.get("limit", ["100"])[0])
        with STATE.lock:
            items = [STATE.entities[kind][i] for i in STATE.order[kind]]
        if after:
            a = parse_time(after)
            items = [e for e in items if parse_time(e["meta"]["modified"]) >= a]
        page = items[offset:offset + limit]
        out = {"data": page}
        if offset + limit < len(items):
            out["pageToken"] = token_encode({"after": after, "offset": offset + limit, "limit": limit})
        if fault and fault.get("same_token"):
            out["pageToken"] = token_encode({"after": after, "offset": 0, "limit": limit})
        return self.send_json(200, out)

    def deleted(self, q):
        after = q.get("after", [None])[0]
        a = parse_time(after) if after else None
        data = {k: [] for k in KINDS}
        with STATE.lock:
            for kind, i, at in STATE.deleted:
                if a is None or parse_time(at) >= a:
                    data[kind].append(i)
        return self.send_json(200, {"data": data})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--data")
    ap.add_argument("--client")
    ap.add_argument("--secret")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    args = ap.parse_args()
    Handler.client_id = args.client
    Handler.secret = args.secret
    if args.data:
        STATE.load(args.data)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
