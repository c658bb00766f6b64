#!/usr/bin/env bash
# Runs every fuzz target for a while (default 30s each). Not part of make test.
# Minimizing each new interesting input is capped (MINIMIZE, default 2s):
# Go's default of 60s spent whole runs of the file-based targets minimizing
# kilobyte-sized inputs, with no new inputs tried meanwhile.
set -euo pipefail
t="${1:-30s}"
minimize="${MINIMIZE:-2s}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "== $pkg $f ($t)"
    go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" -fuzzminimizetime "$minimize" "$pkg"
  done
done
