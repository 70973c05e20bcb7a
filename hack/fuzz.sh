#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a fixed time each.
# Usage: hack/fuzz.sh [DURATION]   (default 20s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-20s}
failed=0
while IFS= read -r line; do
  file=${line%%:*}
  name=$(sed -E 's/.*func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")
  pkg=./$(dirname "$file")
  echo "== $pkg $name ($fuzztime)"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"; then
    failed=$((failed + 1))
  fi
done < <(git grep -n -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' -- '*_test.go')
if [ "$failed" -gt 0 ]; then
  echo "$failed fuzz target(s) failed" >&2
  exit 1
fi
