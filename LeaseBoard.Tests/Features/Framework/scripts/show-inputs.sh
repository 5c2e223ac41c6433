#!/bin/sh
# Prints its arguments and the LEASEBOARD_* environment, one per line (printf: no backslash handling).
for argument in "$@"; do
  printf 'arg=%s\n' "$argument"
done
printf 'env environment=%s\n' "$LEASEBOARD_ENVIRONMENT"
printf 'env reservation=%s\n' "$LEASEBOARD_RESERVATION"
printf 'env token=%s\n' "$LEASEBOARD_FENCING_TOKEN"
printf 'env kind=%s\n' "$LEASEBOARD_TEST_KIND"
printf 'env spec=%s\n' "$LEASEBOARD_SPEC"
printf 'env deadline=%s\n' "$LEASEBOARD_DEADLINE"
