#!/bin/bash
set -euo pipefail
python3 - <<'PY'
from pathlib import Path
p = Path("/app/fizzbuzz.py")
src = p.read_text()
src = src.replace('''    if i % 3 == 0:
        return "Fizz"
    if i % 5 == 0:
        return "Buzz"
    if i % 15 == 0:
        return "FizzBuzz"
''', '''    if i % 15 == 0:
        return "FizzBuzz"
    if i % 3 == 0:
        return "Fizz"
    if i % 5 == 0:
        return "Buzz"
''')
p.write_text(src)
PY
