#!/bin/bash
set -euo pipefail
python3 - <<'PY'
import csv, json
totals = {}
with open("/app/data/sales.csv", newline="") as f:
    for row in csv.DictReader(f):
        totals[row["region"]] = totals.get(row["region"], 0.0) + int(row["units"]) * float(row["unit_price"])
with open("/app/summary.json", "w") as f:
    json.dump({k: round(v, 2) for k, v in totals.items()}, f, indent=2)
PY
