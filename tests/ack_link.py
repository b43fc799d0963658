#!/usr/bin/python3
"""ack_link.py - the tests' side of acknowledgement links: the links in
spooled e-mails (decoded as a mail reader would), a link's payload, and
tokens signed with a key of the test's own key file (for links the
service must refuse: expired, another subject), as docs/ack.md specifies.

  ack_link.py links FILE...            every /a/ link in the bodies
  ack_link.py payload TOKEN            the payload text
  ack_link.py sign KEYFILE PAYLOAD     a token for PAYLOAD, newest key
  ack_link.py resign TOKEN PAYLOAD     PAYLOAD with TOKEN's MAC (altered)
"""
import base64
import email
import email.policy
import hashlib
import hmac
import re
import sys


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def links(files):
    for name in files:
        with open(name, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        for url in re.findall(r"https?://\S+/a/\S+", body):
            print(url)


def main(argv):
    if argv[1] == "links":
        links(argv[2:])
    elif argv[1] == "payload":
        print(unb64(argv[2].split(".")[0]).decode())
    elif argv[1] == "sign":
        with open(argv[2], "rb") as f:
            keys = [k.rstrip(b"\r") for k in f.read().split(b"\n") if k and not k.startswith(b"#")]
        p64 = b64(argv[3].encode())
        mac = hmac.new(keys[-1], b"link|" + p64.encode(), hashlib.sha256).digest()
        print(p64 + "." + b64(mac))
    elif argv[1] == "resign":
        print(b64(argv[3].encode()) + "." + argv[2].split(".")[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
