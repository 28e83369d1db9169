#!/bin/bash
set -euo pipefail
# The level is the second field; the component the third, without its colon.
awk '$2 == "[ERROR]" { sub(/:$/, "", $3); n[$3]++ } END { for (c in n) print c, n[c] }' \
  /app/service.log | sort -k2,2nr -k1,1 > /app/errors.txt
