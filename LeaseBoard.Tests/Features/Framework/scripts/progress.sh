#!/bin/sh
# A test that reports progress quickly and passes.
for percent in 10 20 30 40 50 60 70 80 90 100; do
  echo "PROGRESS $percent"
done
echo "all checks passed"
