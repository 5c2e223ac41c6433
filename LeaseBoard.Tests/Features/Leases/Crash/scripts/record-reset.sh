#!/bin/sh
# Resets nothing and succeeds; appends "<environment> <token>" to the file $3 so a test can see the reset happened.
echo "$1 $2" >> "$3"
