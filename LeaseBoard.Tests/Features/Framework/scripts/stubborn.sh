#!/bin/sh
# A test that shrugs off SIGTERM (saying so), with a background child that ignores it too.
# $1: file to write the child's pid to, so a test can check the whole process group died.
trap 'echo "ignoring SIGTERM"' TERM
(trap '' TERM; exec sleep 300) &
child=$!
echo "$child" > "$1"
echo "PROGRESS 5"
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
