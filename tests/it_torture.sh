#!/bin/sh
# it_torture.sh - the short torture run inside make check: 2000 messages
# (e-mail and SMS), 10 kills, a second --once halfway; the hard duplicate bound.
STRICT=0 exec bash tests/torture.sh 2000 10
