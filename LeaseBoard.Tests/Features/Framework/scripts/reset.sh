#!/bin/sh
# Records what it was asked to reset in the file $3, then succeeds.
printf '%s %s %s\n' "$1" "$2" "$LEASEBOARD_FENCING_TOKEN" > "$3"
echo "reset $1 with token $2"
