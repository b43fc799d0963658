"""A STARTTLS SMTP server for the tests (aiosmtpd, Debian's python3-aiosmtpd).

usage: smtp_tls_server.py PORT CERT KEY OUTDIR SECONDS
Offers STARTTLS with CERT/KEY, requires it before MAIL, writes each message
it accepts to OUTDIR/N.eml, and stops by itself after SECONDS.
"""
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class Saver:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.outdir, f"{self.n}.eml")
        with open(path, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 2.0.0 Ok: saved as %d" % self.n


def main():
    port, cert, key, outdir, seconds = sys.argv[1:6]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    ctrl = Controller(Saver(outdir), hostname="127.0.0.1", port=int(port),
                      tls_context=ctx, require_starttls=True)
    ctrl.start()
    print("ready", flush=True)
    try:
        time.sleep(float(seconds))
    finally:
        ctrl.stop()


if __name__ == "__main__":
    main()
