// Package config reads mhago's configuration: an MHA 0.58 app.cnf file,
// unchanged, plus mhago's own keys (Redis lock, native SSH, timeouts,
// secrets from files and environment variables).
//
// Inheritance follows MHA: an optional global defaults file
// (/etc/masterha_default.cnf style, [server default] only), then the app
// file's [server default], then the output of init_conf_load_script, then
// each [serverN]/[binlogN] block. Keys MHA reads from one particular server
// (scripts, ping settings, check_repl_*, manager_*) are app-level here and
// come from [server default].
//
// Loading never stops at the first mistake: Load and Parse return a
// *ProblemsError listing every problem with its file:line and a fix.
package config

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is one loaded application (one MHA app.cnf).
type Config struct {
	// Path is the configuration file; App is its base name without
	// extension, which names the state files in ManagerWorkdir as in MHA.
	Path string
	App  string
	// GlobalPath is the global defaults file read (or given and missing),
	// "" when none.
	GlobalPath string
	// OverlayPath is the mhago overlay file read with Path, "" if none.
	OverlayPath string

	// Servers are the [serverN] blocks in candidate-priority order:
	// numerically by the first number in the block name if every name has
	// one, otherwise by name.
	Servers []Server
	// BinlogServers are the [binlogN] blocks (GTID failover only), same order.
	BinlogServers []Server
	// Proxies are the [proxyN] blocks (mhago only), ordered like Servers.
	Proxies []Proxy
	// Default is what a server block inherits: the global file, the app
	// [server default] and init_conf_load_script combined. Block is
	// "server default"; per-block keys (hostname, ...) are empty.
	Default Server

	LogLevel       string // MHA log_level: debug, info, notice, warning, error, ...
	ManagerWorkdir string
	ManagerLog     string // "" = standard error

	CheckReplDelay  bool
	CheckReplFilter bool
	LatestPriority  bool
	MultiTierSlave  bool
	UseGTIDAutoPos  bool
	PingInterval    time.Duration
	PingType        string // SELECT, CONNECT or INSERT (upper case)

	Scripts  Scripts
	Redis    RedisConfig
	SSH      SSHConfig
	Timeouts Timeouts

	// clusterID is cluster_id as set in the file ("" = derive it); see
	// ClusterID.
	clusterID string

	// AgentPath is a prebuilt node agent binary to copy to the nodes; "" lets
	// the caller decide (for example, the running binary itself).
	AgentPath string

	// ConfigVersion (config_version) is the version of the cluster
	// configuration this file holds, as `mhago config push|pull` recorded
	// it; 0 when the file was never synchronised through Redis.
	ConfigVersion int64

	// VIP is the built-in virtual IP (vip) that failover moves to the new
	// master with a gratuitous ARP; the zero Prefix when unset.
	VIP netip.Prefix

	// Warnings are non-fatal findings (ignored keys, a missing global file,
	// secret files readable by others).
	Warnings []Problem
	// Notes are findings that need no action on every run, such as
	// ssh_options values that only tune OpenSSH: check and config validate
	// show them; runs and reports do not repeat them.
	Notes []Problem

	where map[string]map[string]Location
}

// Scripts are the MHA hook commands. Each is run through the shell like in
// MHA, so it may carry its own arguments; the first word is an absolute path.
type Scripts struct {
	SecondaryCheck       string
	MasterIPFailover     string
	MasterIPOnlineChange string
	Shutdown             string
	Report               string
	InitConfLoad         string
	// PasswordArgs (hook_password_args) also passes passwords to hooks as
	// MHA's --new_master_password= style arguments, for unmodified MHA
	// scripts; they are then visible in the manager host's process list.
	PasswordArgs bool
}

// RedisConfig locates the Redis used for the failover lock (see
// config/redis.go for the keys).
type RedisConfig struct {
	Mode    RedisMode
	Address string   // redis_address as a list joined by ","; "" = Redis not configured
	Addrs   []string // the server, the sentinels or the cluster's seed nodes
	// SentinelMaster is the master's name known to the sentinels.
	SentinelMaster string
	Username       string // ACL user; "" = the default user
	Password       Secret
	// SentinelUsername and SentinelPassword authenticate to the sentinels.
	SentinelUsername string
	SentinelPassword Secret
	DB               int
	KeyPrefix        string
	LockTTL          time.Duration
	// LockReplicas is how many replicas must acknowledge the lock.
	LockReplicas int
	// TLS is nil for plain TCP; it always verifies the server.
	TLS *tls.Config
}

// Enabled reports whether a Redis server is configured.
func (r RedisConfig) Enabled() bool { return r.Address != "" }

// SSHConfig holds the settings of mhago's native SSH client. The per-server
// user, port and connection timeout are on Server.
type SSHConfig struct {
	KeyFiles              []string // absolute paths, tried in order
	UseAgent              bool     // also use $SSH_AUTH_SOCK
	KnownHostsFile        string
	AcceptUnknownHostKeys bool
	CommandTimeout        time.Duration
}

// Timeouts bound MySQL I/O and the steps of a run.
type Timeouts struct {
	MySQLConnect time.Duration
	MySQLRead    time.Duration
	Check        time.Duration // one whole check run (masterha_check_repl style)
	Phase        time.Duration // one failover phase
}

// Server is one [serverN] or [binlogN] block with inherited values filled in.
type Server struct {
	Block    string // e.g. "server1"
	Line     int    // line of the block header
	Hostname string
	IP       string // from ip, else the hostname if it is an IP, else resolved
	Port     int
	User     string
	Password Secret

	SSHUser              string
	SSHHost              string // default Hostname
	SSHIP                string // default IP when SSHHost is Hostname, else resolved
	SSHPort              int
	SSHConnectionTimeout time.Duration
	SSHOptions           string // OpenSSH options, forwarded to hooks as MHA does
	// SSHKeyFiles are the -i / IdentityFile keys of ssh_options, tried
	// before ssh_key_file.
	SSHKeyFiles []string

	ReplUser string // "" = keep the Master_User seen in SHOW SLAVE STATUS
	// ReplPassword is used in CHANGE MASTER only when ReplPasswordSet; MHA
	// then omits MASTER_PASSWORD so the retained password stays.
	ReplPassword    Secret
	ReplPasswordSet bool

	MasterBinlogDirs []string
	RemoteWorkdir    string

	CandidateMaster  bool
	NoMaster         bool
	IgnoreFail       bool
	SkipInitSSHCheck bool
	SkipResetSlave   bool
	DisableLogBin    bool
	HandleRawBinlog  bool

	MasterPIDFile string
	ClientBindir  string
	ClientLibdir  string
	NodeLabel     string
	// VIPInterface is the interface that carries the VIP on this server
	// (vip_interface).
	VIPInterface string
}

// Addr is the MySQL address ip:port (IPv6 in brackets).
func (s Server) Addr() string { return net.JoinHostPort(s.IP, strconv.Itoa(s.Port)) }

// SSHAddr is the SSH address ssh_host:ssh_port. The host name rather than
// the IP is used, like MHA, so that known_hosts entries by name match.
func (s Server) SSHAddr() string { return net.JoinHostPort(s.SSHHost, strconv.Itoa(s.SSHPort)) }

// String is MHA's "hostinfo": hostname(ip:port).
func (s Server) String() string { return s.Hostname + "(" + s.Addr() + ")" }

// Location is where a setting was read from.
type Location struct {
	File    string
	Line    int
	Section string
}

// Where reports where the effective value of key for block ("server1", or
// "server default" for app-level keys) was set. ok is false when the key
// has its built-in default.
func (c *Config) Where(block, key string) (loc Location, ok bool) {
	loc, ok = c.where[block][key]
	return loc, ok
}

// Server returns the server (or binlog server) with the given block name.
func (c *Config) Server(block string) (*Server, bool) {
	for _, list := range [][]Server{c.Servers, c.BinlogServers} {
		for i := range list {
			if list[i].Block == block {
				return &list[i], true
			}
		}
	}
	return nil, false
}

// FindServer returns the [serverN] whose hostname or IP is host and whose
// port is port, as MHA matches --dead_master_host/--new_master_host.
func (c *Config) FindServer(host string, port int) (*Server, bool) {
	for i, s := range c.Servers {
		if (s.Hostname == host || s.IP == host) && s.Port == port {
			return &c.Servers[i], true
		}
	}
	return nil, false
}

// ClusterID names the cluster in everything several managers share: the
// Redis lock, fence, journal and topology keys, and the journal and guard
// files in manager_workdir. Two manager hosts whose config files have
// different names must still contend for one lock, so it is not the file's
// name: it is cluster_id when set, else derived from the servers' hostnames
// and ports (order and file name do not matter). ClusterIDSet says which.
func (c *Config) ClusterID() string {
	if c.clusterID != "" {
		return c.clusterID
	}
	return DeriveClusterID(c.Servers)
}

// ClusterIDSet tells whether cluster_id is set in the file.
func (c *Config) ClusterIDSet() bool { return c.clusterID != "" }

// DeriveClusterID is "c" and 12 hex digits of the SHA-256 of the sorted,
// lower-cased hostname:port list of servers.
func DeriveClusterID(servers []Server) string {
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = strings.ToLower(net.JoinHostPort(s.Hostname, strconv.Itoa(s.Port)))
	}
	sort.Strings(addrs)
	sum := sha256.Sum256([]byte(strings.Join(addrs, "\n")))
	return "c" + hex.EncodeToString(sum[:])[:12]
}

// SlogLevel maps MHA's log_level (Log::Dispatch names) onto slog.
func (c *Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "info", "notice":
		return slog.LevelInfo
	case "warning", "warn":
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}
