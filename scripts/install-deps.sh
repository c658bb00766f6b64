#!/usr/bin/env bash
# Installs the Debian packages the test cluster needs, only when missing.
set -euo pipefail
need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb-binlog >/dev/null 2>&1 || need+=(mariadb-client)
[ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# Switchover tests put real proxies in front of the cluster; the VIP tests
# run keepalived in network namespaces.
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
[ -x /usr/sbin/keepalived ] || command -v keepalived >/dev/null 2>&1 || need+=(keepalived)
# make bench compares with MHA 0.58 from Debian's packages, and the
# side-by-side test runs MHA's masterha_check_repl on the test cluster.
command -v masterha_master_switch >/dev/null 2>&1 || need+=(mha4mysql-manager)
command -v apply_diff_relay_logs >/dev/null 2>&1 || need+=(mha4mysql-node)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
