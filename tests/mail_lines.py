"""Check one e-mail file as a reader sees it: print the headers the tests
compare, then each decoded body line longer than 72 characters as
"LONG <n>: <line>", and "SIGNATURE" when a line is exactly "-- "."""
import email
import email.policy
import sys

msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.strict)
for name in ("Auto-Submitted", "Reply-To"):
    print(f"{name}: {msg[name]}")
for line in msg.get_content().replace("\r\n", "\n").split("\n"):
    if len(line) > 72:
        print(f"LONG {len(line)}: {line}")
    if line == "-- ":
        print("SIGNATURE")
