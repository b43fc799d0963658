#!/bin/sh
# it_torture.sh - the short torture run inside make check: 1500 messages, 5 kills.
exec bash tests/torture.sh 1500 5
