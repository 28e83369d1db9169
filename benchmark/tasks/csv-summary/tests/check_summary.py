"""Verifier for csv-summary: exit 0 when /app/summary.json has the right totals."""
import csv
import json
import sys

expected = {}
with open("/app/data/sales.csv", newline="") as f:
    for row in csv.DictReader(f):
        expected[row["region"]] = expected.get(row["region"], 0.0) + int(row["units"]) * float(row["unit_price"])
expected = {k: round(v, 2) for k, v in expected.items()}

try:
    with open("/app/summary.json") as f:
        got = json.load(f)
except (OSError, ValueError) as e:
    print(f"FAIL: cannot read /app/summary.json: {e}")
    sys.exit(1)

if not isinstance(got, dict) or set(got) != set(expected):
    print(f"FAIL: expected regions {sorted(expected)}, got {sorted(got) if isinstance(got, dict) else got!r}")
    sys.exit(1)
for region, total in expected.items():
    value = got[region]
    if not isinstance(value, (int, float)) or abs(value - total) > 0.005:
        print(f"FAIL: {region}: expected {total}, got {value!r}")
        sys.exit(1)
print("PASS: all regional totals match")
