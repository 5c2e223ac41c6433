#!/bin/sh
# Reports progress 30, waits until the file $1 exists, then exits with code $2 after saying so.
echo "PROGRESS 30"
while [ ! -e "$1" ]; do sleep 0.05; done
echo "finishing with $2"
exit "$2"
