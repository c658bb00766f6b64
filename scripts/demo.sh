#!/usr/bin/env bash
# make demo: the whole story on a real 4-host test cluster (127.0.0.11-14):
# a write load, the master killed with SIGKILL mid-load, mhago check, the
# dry-run plan, the failover, and a verification that every acknowledged
# commit survived. KEEP=1 leaves the cluster running (make demo-down).
set -euo pipefail
dir="${1:-/tmp/mhago-demo}"
bin="$(pwd)/bin/mhago"
testenv() { go run ./testenv "$@" --dir "$dir"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -f "$dir/state.json" ]; then
  step "a previous demo cluster is still up in $dir; taking it down first"
  testenv down || true
fi
step "bringing up testenv in $dir: 4 hosts (mariadbd + sshd each) and redis"
testenv up --max-binlog-size 65536
[ "${KEEP:-0}" = 1 ] || trap 'step "taking the demo cluster down"; testenv down' EXIT

# An operator's VIP hook, MHA-style: it only records how it was called.
# Passwords reach it in the environment, never in its arguments.
cat >"$dir/ip_failover" <<'HOOK'
#!/bin/sh
echo "$(date +%T) master_ip_failover_script $*" >>"$(dirname "$0")/hook.log"
HOOK
chmod 0755 "$dir/ip_failover"
sed -i "s|^\[server default\]\$|[server default]\nmaster_ip_failover_script=$dir/ip_failover|" "$dir/app.cnf"

step "mhago check: a healthy cluster"
"$bin" check --conf "$dir/app.cnf"

step "write load; server3's SQL thread and server4's IO thread stop mid-load; then SIGKILL the master"
testenv load --rows 2000 --workers 4
testenv stop-sql 3
testenv load --rows 1000 --workers 4
testenv stop-io 4
testenv load --rows 1000 --workers 4 | tee "$dir/acked.txt"
testenv kill-mysql 1

step "mhago check: exit 3 = master unreachable"
set +e
"$bin" check --conf "$dir/app.cnf"
echo "(exit status $?)"
set -e

step "mhago failover --dry-run: the plan, nothing changed"
"$bin" failover --conf "$dir/app.cnf" --dry-run

step "mhago failover --remove-dead-master-conf"
"$bin" failover --conf "$dir/app.cnf" --remove-dead-master-conf

step "the hook calls, as the VIP script saw them ($dir/hook.log)"
cat "$dir/hook.log"

step "after the failover: mhago check (server1's block was removed from app.cnf: healthy)"
"$bin" check --conf "$dir/app.cnf"

step "MHA's command lines work unchanged: masterha_check_repl is a symlink to mhago"
ln -sf "$bin" "$dir/masterha_check_repl"
"$dir/masterha_check_repl" --conf="$dir/app.cnf"

step "verification: every acknowledged commit is on the new master, checksums equal on server2-4"
acked=$(sed -n 's/.*max id \([0-9]*\).*/\1/p' "$dir/acked.txt")
for i in 2 3 4; do
  got=$(mariadb --no-defaults -uroot --socket="$dir/host$i/mysql.sock" -N -e \
    "SELECT CONCAT(COUNT(*), ' rows, max id ', MAX(id), ', checksum ', (SELECT 0)) FROM mhago_test.load" 2>&1)
  sum=$(mariadb --no-defaults -uroot --socket="$dir/host$i/mysql.sock" -N -e "CHECKSUM TABLE mhago_test.load EXTENDED" | awk '{print $2}')
  echo "server$i: ${got%, checksum*}, checksum $sum"
done
count=$(mariadb --no-defaults -uroot --socket="$dir/host2/mysql.sock" -N -e "SELECT COUNT(*) FROM mhago_test.load WHERE id <= $acked")
if [ "$count" = "$acked" ]; then echo "OK: all $acked acknowledged commits are on the new master"; else echo "LOST: $count of $acked"; exit 1; fi
