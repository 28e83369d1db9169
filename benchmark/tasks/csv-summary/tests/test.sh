#!/bin/bash
# Checks /app/summary.json against totals computed here from the same CSV.
mkdir -p /logs/verifier
python3 /tests/check_summary.py
status=$?
if [ $status -eq 0 ]; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi
