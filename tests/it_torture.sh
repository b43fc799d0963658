#!/bin/sh
# it_torture.sh - the short torture run inside make check: 1500 messages, 5 kills.
exec sh tests/torture.sh 1500 5
