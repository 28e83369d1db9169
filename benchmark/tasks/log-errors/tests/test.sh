#!/bin/bash
# Compares /app/errors.txt with the expected per-component error counts.
mkdir -p /logs/verifier
expected=$'db 3\napi 2\nauth 1\ncache 1'
if [ -f /app/errors.txt ] && [ "$(sed -e 's/[[:space:]]*$//' /app/errors.txt | sed -e '/^$/d')" = "$expected" ]; then
  echo "PASS: /app/errors.txt is correct"
  echo 1 > /logs/verifier/reward.txt
else
  echo "FAIL: expected:"; echo "$expected"
  echo "got:"; cat /app/errors.txt 2>&1 | head -n 20
  echo 0 > /logs/verifier/reward.txt
fi
