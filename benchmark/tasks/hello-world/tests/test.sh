#!/bin/bash
# Passes when /app/hello.txt holds exactly "Hello, world!" and one newline.
mkdir -p /logs/verifier
# The trailing "x" keeps command substitution from eating the file's final newline.
if [ -f /app/hello.txt ] && [ "$(cat /app/hello.txt; echo x)" = $'Hello, world!\nx' ]; then
  echo "PASS: /app/hello.txt is correct"
  echo 1 > /logs/verifier/reward.txt
else
  echo "FAIL: /app/hello.txt is missing or its content differs"
  echo 0 > /logs/verifier/reward.txt
fi
