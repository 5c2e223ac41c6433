#!/bin/sh
# A test that fails with exit code 3 after saying why.
echo "PROGRESS 20"
echo "connecting to the environment"
echo "boom: the environment refused the connection"
exit 3
