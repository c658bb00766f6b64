#!/usr/bin/env bash
# make demo: bring up a 4-host test cluster on 127.0.0.11-14 and run mhago
# against it. KEEP=1 leaves the cluster running (stop it with make demo-down).
set -euo pipefail
dir="${1:-/tmp/mhago-demo}"
bin="$(pwd)/bin/mhago"
testenv() { go run ./testenv "$@" --dir "$dir"; }

if [ -f "$dir/state.json" ]; then
  echo "== a previous demo cluster is still up in $dir; taking it down first"
  testenv down || true
fi
echo "== bringing up testenv in $dir (4 hosts: mariadbd + sshd each, plus redis)"
testenv up
[ "${KEEP:-0}" = 1 ] || trap 'echo "== taking the demo cluster down"; testenv down' EXIT

echo
echo "== mhago check --conf $dir/app.cnf"
set +e
"$bin" check --conf "$dir/app.cnf"
rc=$?
set -e
echo "(exit status $rc)"
exit $rc
