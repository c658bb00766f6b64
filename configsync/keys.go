package configsync

// keyClass says whether a [server default] key travels with the cluster
// part or stays with the manager host.
type keyClass int

const (
	// clusterKey: every manager host must hold the same value to act on
	// the same cluster the same way, and the value names nothing on the
	// manager host itself (it describes the MySQL hosts, their accounts
	// without passwords, the VIP, or how a new master is chosen).
	clusterKey keyClass = iota + 1
	// localKey: how this manager host works (its files, logs, SSH keys,
	// Redis address and password, hook scripts, timeouts, monitor pace),
	// or a secret. Host-local values differ between manager hosts on
	// purpose; secrets never go to Redis.
	localKey
)

// defaultKeys classifies every key that may appear in [server default].
// A test checks it against config.KnownKeys, so a new key cannot be added
// without deciding which side it is on.
var defaultKeys = map[string]keyClass{
	// Names the Redis keys and guard files; two managers with different
	// ids would not even see each other's lock.
	"cluster_id": clusterKey,
	// The VIP and the interface it lives on are properties of the MySQL
	// hosts.
	"vip":           clusterKey,
	"vip_interface": clusterKey,
	// How the MySQL servers are reached and what lives on them.
	"port":              clusterKey,
	"user":              clusterKey,
	"repl_user":         clusterKey,
	"master_binlog_dir": clusterKey,
	"remote_workdir":    clusterKey,
	"client_bindir":     clusterKey,
	"client_libdir":     clusterKey,
	"master_pid_file":   clusterKey,
	"disable_log_bin":   clusterKey,
	"handle_raw_binlog": clusterKey,
	"skip_reset_slave":  clusterKey,
	// How the new master is chosen and which replicas are trusted: two
	// managers must pick the same one.
	"check_repl_delay":  clusterKey,
	"check_repl_filter": clusterKey,
	"latest_priority":   clusterKey,
	"multi_tier_slave":  clusterKey,
	"use_gtid_auto_pos": clusterKey,

	// Secrets and the files holding them are on this host only.
	"password":            localKey,
	"password_file":       localKey,
	"repl_password":       localKey,
	"repl_password_file":  localKey,
	"redis_password":      localKey,
	"redis_password_file": localKey,
	// How this host reaches the MySQL hosts over SSH (a bastion or a
	// forwarded port may differ per manager host) and Redis.
	"ssh_user":                     localKey,
	"ssh_port":                     localKey,
	"ssh_options":                  localKey,
	"ssh_connection_timeout":       localKey,
	"ssh_key_file":                 localKey,
	"ssh_use_agent":                localKey,
	"ssh_known_hosts_file":         localKey,
	"ssh_accept_unknown_host_keys": localKey,
	"ssh_command_timeout":          localKey,
	"redis_address":                localKey,
	"redis_db":                     localKey,
	"redis_key_prefix":             localKey,
	// How this manager host reaches Redis (mode, sentinels, ACL user, TLS
	// files) is its own, like redis_address.
	"redis_mode":                   localKey,
	"redis_sentinel_master":        localKey,
	"redis_sentinel_username":      localKey,
	"redis_sentinel_password":      localKey,
	"redis_sentinel_password_file": localKey,
	"redis_username":               localKey,
	"redis_lock_replicas":          localKey,
	"redis_tls":                    localKey,
	"redis_tls_ca_file":            localKey,
	"redis_tls_cert_file":          localKey,
	"redis_tls_key_file":           localKey,
	"redis_tls_server_name":        localKey,
	"lock_ttl":                     localKey,
	// Hook scripts are programs on this host: their paths and the
	// arguments written after them (files, hosts to ask) are local.
	"secondary_check_script":         localKey,
	"master_ip_failover_script":      localKey,
	"master_ip_online_change_script": localKey,
	"shutdown_script":                localKey,
	"report_script":                  localKey,
	"init_conf_load_script":          localKey,
	"hook_password_args":             localKey,
	"agent_path":                     localKey,
	// This host's files, logs and pace.
	"manager_workdir":       localKey,
	"manager_log":           localKey,
	"log_level":             localKey,
	"ping_interval":         localKey,
	"ping_type":             localKey,
	"mysql_connect_timeout": localKey,
	"mysql_read_timeout":    localKey,
	"check_timeout":         localKey,
	"phase_timeout":         localKey,
	// Which version this file holds: written by push and pull themselves.
	versionKey: localKey,
	// Per-block keys: the config ignores them in [server default] (with a
	// warning); they travel inside the blocks.
	"hostname":            localKey,
	"ip":                  localKey,
	"ssh_host":            localKey,
	"ssh_ip":              localKey,
	"node_label":          localKey,
	"candidate_master":    localKey,
	"no_master":           localKey,
	"ignore_fail":         localKey,
	"skip_init_ssh_check": localKey,
}

// versionKey records in [server default] the version the file holds.
const versionKey = "config_version"

// clusterIDKey is always in a pushed part: a file without it derives the
// id from its server list, which a pull may change.
const clusterIDKey = "cluster_id"

// secretKeys may not carry a literal value inside a pushed block.
var secretKeys = []string{"password", "repl_password"}

// isClusterKey tells whether a [server default] key travels.
func isClusterKey(key string) bool { return defaultKeys[key] == clusterKey }
