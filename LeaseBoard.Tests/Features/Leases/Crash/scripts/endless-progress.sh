#!/bin/sh
# A test that never ends by itself: PROGRESS 1, 2, ... (at most 99), one a second.
# $1 environment, $2 fencing token, $3 file that gets one line per start: "<pid> <environment> <token>".
echo "$$ $1 $2" >> "$3"
n=0
while true; do
  if [ "$n" -lt 99 ]; then n=$((n + 1)); fi
  echo "PROGRESS $n"
  sleep 1
done
