#!/bin/bash
# Runs the fixed script for N=100 and compares with the right answer.
mkdir -p /logs/verifier
expected=$(python3 -c 'print("\n".join("FizzBuzz" if i % 15 == 0 else "Fizz" if i % 3 == 0 else "Buzz" if i % 5 == 0 else str(i) for i in range(1, 101)))')
actual=$(cd /app && python3 fizzbuzz.py 100 2>&1)
if [ "$actual" = "$expected" ]; then
  echo "PASS: fizzbuzz.py 100 is correct"
  echo 1 > /logs/verifier/reward.txt
else
  echo "FAIL: fizzbuzz.py 100 differs from the expected output:"
  diff <(echo "$expected") <(echo "$actual") | head -n 20
  echo 0 > /logs/verifier/reward.txt
fi
