#!/bin/sh
# A test that reports once, then hangs in a foreground child.
echo "PROGRESS 40"
sleep 300
