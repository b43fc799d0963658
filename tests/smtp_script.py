"""A scripted SMTP server for the tests: answers each stage as told, records
the commands it gets (verbs only) and the message count.

usage: smtp_script.py PORT LOGFILE SECONDS [STAGE=REPLY ...]
(PORT 0: a free port, printed in the line "ready PORT")
STAGE is greeting, EHLO, HELO, STARTTLS, MAIL, RCPT, DATA or DOT (the reply
to the end of the data); REPLY is a full reply line such as "421 4.3.2 Try
later". A 4xx or 5xx greeting, or a 421 anywhere, closes the connection after
the reply. Without a STAGE, the server accepts everything. Stops by itself
after SECONDS.
"""
import socketserver
import sys
import threading

port, logfile, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
script = dict(a.split("=", 1) for a in sys.argv[4:])
DEFAULTS = {"greeting": "220 test ESMTP", "HELO": "250 test", "MAIL": "250 2.1.0 Ok",
            "RCPT": "250 2.1.5 Ok", "DATA": "354 End data with <CR><LF>.<CR><LF>",
            "DOT": "250 2.0.0 Ok: queued", "RSET": "250 2.0.0 Ok", "QUIT": "221 2.0.0 Bye",
            "NOOP": "250 2.0.0 Ok"}
lock = threading.Lock()


def log(line):
    with lock, open(logfile, "a", encoding="utf-8") as f:
        f.write(line + "\n")


class Handler(socketserver.StreamRequestHandler):
    def reply(self, stage):
        line = script.get(stage, DEFAULTS.get(stage, "502 5.5.2 Unknown command"))
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()
        return line

    def handle(self):
        line = self.reply("greeting")
        if line[0] in "45":
            return
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            verb = raw.decode("ascii", "replace").strip().split(" ")[0].split(":")[0].upper()
            log(verb)
            if verb == "EHLO":
                if "EHLO" in script:
                    line = self.reply("EHLO")
                else:
                    self.wfile.write(b"250-test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
                    self.wfile.flush()
                    line = "250"
            else:
                line = self.reply(verb)
            if verb == "DATA" and line.startswith("354"):
                while True:
                    raw = self.rfile.readline(65536)
                    if not raw or raw in (b".\r\n", b".\n"):
                        break
                log("DOT")
                line = self.reply("DOT")
            if verb == "QUIT" or line.startswith("421"):
                return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


server = Server(("127.0.0.1", port), Handler)
threading.Timer(seconds, server.shutdown).start()
print("ready", server.server_address[1], flush=True)  # PORT 0: a free one
server.serve_forever()
