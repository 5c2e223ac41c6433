#!/bin/sh
# A health check or reset that takes far too long. $1: file to write its background child's pid to.
sleep 300 &
echo "$!" > "$1"
wait
