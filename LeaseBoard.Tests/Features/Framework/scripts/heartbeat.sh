#!/bin/sh
# Reports progress 40, waits until the file $1 exists, reports progress 60, then hangs.
echo "PROGRESS 40"
while [ ! -e "$1" ]; do sleep 0.05; done
echo "PROGRESS 60"
sleep 300
