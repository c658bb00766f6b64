#!/usr/bin/env bash
# gen-fixtures.sh: regenerate the MariaDB binlog/relay-log fixtures in testdata/mariadb/.
#
# Starts a throwaway master (127.0.0.50:3306, server_id 1) and replica
# (127.0.0.51:3306, server_id 2) from MariaDB 10.11 with ROW format, CRC32
# checksums, GTID replication, log_slave_updates, relay_log_purge=0 and
# max_binlog_size=4096 (so binlogs and relay logs rotate every few transactions),
# runs a bounded workload, and copies small files out:
#   master-bin.NNNNNN   closed master binlogs (in-use flag clear)
#   master-inuse.bin    copy of the master's ACTIVE binlog taken while it runs (flag set)
#   relay-bin.NNNNNN    the replica's relay logs (replica FDE, master rotate, master FDE, ...)
#   replica-bin.NNNNNN  the replica's own binlogs (log_slave_updates)
#   truncated-*.bin     copies cut in the middle of their last event
# Only the two mariadbd processes started here are stopped, by pid.
# Usage: binlog/testdata/gen-fixtures.sh   (as root; needs mariadb-server)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/mariadb"
base=$(mktemp -d /tmp/mhago-binlogfix-XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	rm -rf "$base"
}
trap cleanup EXIT

start_server() { # name ip server_id extra-args...
	local name=$1 ip=$2 id=$3; shift 3
	local dir="$base/$name"
	mkdir -p "$dir"
	mariadb-install-db --no-defaults --user=root --datadir="$dir/data" --skip-test-db \
		--auth-root-authentication-method=socket >"$dir/install.log" 2>&1
	mariadbd --no-defaults --user=root --datadir="$dir/data" --bind-address="$ip" --port=3306 \
		--socket="$dir/sock" --pid-file="$dir/pid" --log-error="$dir/err.log" \
		--server-id="$id" --log-bin="$dir/data/$name-bin" --binlog-format=ROW \
		--binlog-checksum=CRC32 --log-slave-updates --max-binlog-size=4096 \
		--gtid-strict-mode=1 --skip-name-resolve --innodb-buffer-pool-size=16M \
		--innodb-log-file-size=8M --performance-schema=OFF "$@" &
	pids+=($!)
	for _ in $(seq 1 150); do
		mariadb-admin --no-defaults --socket="$dir/sock" -uroot ping >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "server $name did not start; see $dir/err.log" >&2
	exit 1
}

sql() { # name sql...
	local name=$1; shift
	mariadb --no-defaults --socket="$base/$name/sock" -uroot -e "$*"
}

wait_replica() { # until the replica has executed the master's gtid_binlog_pos
	local want
	want=$(mariadb --no-defaults --socket="$base/master/sock" -uroot -N -e "SELECT @@gtid_binlog_pos")
	for _ in $(seq 1 100); do
		got=$(mariadb --no-defaults --socket="$base/replica/sock" -uroot -N -e "SELECT @@gtid_slave_pos")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "replica did not catch up ($got != $want)" >&2
	exit 1
}

start_server master 127.0.0.50 1
start_server replica 127.0.0.51 2 --relay-log="$base/replica/data/relay-bin" --relay-log-purge=0

# The replication password is a throwaway for this private pair; it travels in SQL on stdin only.
sql master "CREATE USER repl@'127.0.0.%' IDENTIFIED BY 'fixture'; GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.%';"
mariadb --no-defaults --socket="$base/replica/sock" -uroot <<SQL
CHANGE MASTER TO master_host='127.0.0.50', master_port=3306, master_user='repl',
  master_password='fixture', master_use_gtid=slave_pos;
START SLAVE;
SQL

sql master "CREATE DATABASE fx; CREATE TABLE fx.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(200), n INT) ENGINE=InnoDB;"
for i in $(seq 1 30); do
	sql master "INSERT INTO fx.t (v, n) VALUES (REPEAT('x', 100), $i);"
done
sql master "UPDATE fx.t SET n = n + 1 WHERE id <= 5;"
wait_replica
# A replica restart starts a new relay log with the master's fake rotate (end_log_pos 0).
sql replica "STOP SLAVE; START SLAVE;"
sql master "ALTER TABLE fx.t ADD COLUMN c INT DEFAULT 0;"
sql master "BEGIN; INSERT INTO fx.t (v, n) VALUES ('multi', 1); INSERT INTO fx.t (v, n) VALUES ('multi', 2); UPDATE fx.t SET c = 7 WHERE v = 'multi'; DELETE FROM fx.t WHERE id = 1; COMMIT;"
sql master "CREATE TABLE fx.m (id INT) ENGINE=MyISAM; INSERT INTO fx.m VALUES (1), (2);"
sql master "FLUSH BINARY LOGS;"
for i in $(seq 31 50); do
	sql master "INSERT INTO fx.t (v, n) VALUES (REPEAT('y', 150), $i);"
done
sql master "SET SESSION gtid_domain_id = 5; INSERT INTO fx.t (v, n) VALUES ('domain5', 0);"
sql master "DROP TABLE fx.m;"
wait_replica
sql replica "FLUSH RELAY LOGS;"
sql master "INSERT INTO fx.t (v, n) VALUES ('last', 99);"
wait_replica

rm -rf "$out"; mkdir -p "$out"
active=$(mariadb --no-defaults --socket="$base/master/sock" -uroot -N -e "SHOW MASTER STATUS" | cut -f1)
for f in "$base"/master/data/master-bin.[0-9]*; do
	b=$(basename "$f")
	[ "$b" = "$active" ] && cp "$f" "$out/master-inuse.bin" || cp "$f" "$out/$b"
done
cp "$base"/replica/data/relay-bin.[0-9]* "$out/"
cp "$base"/replica/data/replica-bin.[0-9]* "$out/"
ls "$base"/replica/data/relay-bin.[0-9]* | xargs -n1 basename >"$out/relay-bin.index"

# Truncated copies: cut 7 bytes before the end (inside the last event).
sz=$(stat -c %s "$out/master-inuse.bin"); head -c $((sz - 7)) "$out/master-inuse.bin" >"$out/truncated-inuse.bin"
last=$(ls "$out"/master-bin.[0-9]* | tail -1)
sz=$(stat -c %s "$last"); head -c $((sz - 30)) "$last" >"$out/truncated-closed.bin"
ls -l "$out"
