"""Parse an e-mail file with Python's email package, policy=strict; print the
headers the tests compare and the decoded body. Exits non-zero on a defect."""
import email
import email.policy
import sys

raw = open(sys.argv[1], 'rb').read()
msg = email.message_from_bytes(raw, policy=email.policy.strict)
if msg.defects:
    sys.exit(f"defects: {msg.defects}")
for line in raw.splitlines():
    if len(line) > 78 and not line.startswith(b'Message-ID'):
        sys.exit(f"line longer than 78: {line!r}")
print("HEADERS " + " ".join(sorted(k for k in msg.keys())))
print("TO " + msg['To'])
print("SUBJECT " + msg['Subject'])
# Text line ends are CRLF on the wire; compare them as LF.
sys.stdout.write("BODY " + msg.get_content().replace("\r\n", "\n"))
