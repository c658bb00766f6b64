// Package cluster starts and stops a real MariaDB replication cluster on
// loopback addresses: per host one mariadbd and one sshd, plus one
// redis-server. It serves integration tests and the testenv CLI.
package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultDir           = "/tmp/mhago-testenv"
	DefaultHosts         = 4
	DefaultBase          = 10
	DefaultSSHPort       = 2222
	DefaultMySQLPort     = 3306
	DefaultRedisPort     = 6379
	DefaultMaxBinlogSize = 1 << 30
	DefaultStartTimeout  = 60 * time.Second

	// minBinlogSize is MariaDB's lower bound for max_binlog_size.
	minBinlogSize = 4096
)

// Options describe one cluster. Zero fields take the defaults above.
type Options struct {
	Dir   string `json:"dir"`
	Hosts int    `json:"hosts"`
	Base  int    `json:"base"` // host i listens on 127.0.Net.(Base+i); redis on 127.0.Net.Base
	// Net is the third octet of every address (default: $MHAGO_TESTENV_NET,
	// else 0), so several checkouts can run their tests at once.
	Net  int  `json:"net"`
	GTID bool `json:"gtid"` // replicas use MASTER_USE_GTID=slave_pos
	// DualMaster makes hosts 1 and 2 an active/passive master pair: host 1
	// (writable) and host 2 (read_only) replicate from each other, hosts
	// 3.. from host 1. See dualMasterCnf for the settings this adds.
	DualMaster    bool  `json:"dual_master,omitempty"`
	SSHPort       int   `json:"ssh_port"`
	MySQLPort     int   `json:"mysql_port"`
	RedisPort     int   `json:"redis_port"`
	MaxBinlogSize int64 `json:"max_binlog_size"`
	// MaxRelayLogSize is max_relay_log_size (0: MariaDB's default, which
	// follows max_binlog_size).
	MaxRelayLogSize int64 `json:"max_relay_log_size,omitempty"`
	// ParallelReplication is slave_parallel_threads on every server
	// (conservative mode); 0: each SQL thread applies alone.
	ParallelReplication int `json:"parallel_replication,omitempty"`
	// BinlogFormat is ROW (default), STATEMENT or MIXED.
	BinlogFormat string `json:"binlog_format,omitempty"`
	// Netns puts every host in its own network namespace on a bridge
	// (10.Net.Base.(10+i)/24, see netns.go) and configures a VIP on host
	// 1 (vip= in app.cnf); it needs root and iproute2.
	Netns bool `json:"netns,omitempty"`
	// SSHDEnv are NAME=VALUE pairs every sshd sets for its sessions
	// (SetEnv): the benchmark preloads its MHA shim into the node tools
	// MHA runs over SSH.
	SSHDEnv []string `json:"sshd_env,omitempty"`
	// Password, ReplPassword and AppPassword default to random values;
	// they are written to files in Dir and never stored in state.json.
	Password     string        `json:"-"`
	ReplPassword string        `json:"-"`
	AppPassword  string        `json:"-"`             // of AppUser; random by default
	StartTimeout time.Duration `json:"start_timeout"` // readiness bound per process
	Logger       *slog.Logger  `json:"-"`             // nil discards
}

func (o Options) withDefaults() Options {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	setInt(&o.Hosts, DefaultHosts)
	setInt(&o.Base, DefaultBase)
	if o.Net == 0 {
		o.Net = LoopbackNet()
	}
	setInt(&o.SSHPort, DefaultSSHPort)
	setInt(&o.MySQLPort, DefaultMySQLPort)
	setInt(&o.RedisPort, DefaultRedisPort)
	if o.MaxBinlogSize == 0 {
		o.MaxBinlogSize = DefaultMaxBinlogSize
	}
	if o.BinlogFormat == "" {
		o.BinlogFormat = "ROW"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.Password == "" {
		o.Password = randomHex(12)
	}
	if o.ReplPassword == "" {
		o.ReplPassword = randomHex(12)
	}
	if o.AppPassword == "" {
		o.AppPassword = randomHex(12)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.Hosts < 1:
		return fmt.Errorf("testenv: hosts must be >= 1, got %d", o.Hosts)
	case o.Base < 1 || o.Base+o.Hosts > 254:
		return fmt.Errorf("testenv: base %d with %d hosts leaves 127.0.%d.1..254", o.Base, o.Hosts, o.Net)
	case o.DualMaster && o.Hosts < 2:
		return fmt.Errorf("testenv: dual_master needs at least 2 hosts, got %d", o.Hosts)
	case o.Net < 0 || o.Net > 255:
		return fmt.Errorf("testenv: net %d is not an octet (MHAGO_TESTENV_NET)", o.Net)
	case o.MaxBinlogSize < minBinlogSize || o.MaxBinlogSize > 1<<30:
		return fmt.Errorf("testenv: max_binlog_size %d outside [%d, 1G]", o.MaxBinlogSize, minBinlogSize)
	case o.MaxRelayLogSize != 0 && (o.MaxRelayLogSize < minBinlogSize || o.MaxRelayLogSize > 1<<30):
		return fmt.Errorf("testenv: max_relay_log_size %d outside [%d, 1G]", o.MaxRelayLogSize, minBinlogSize)
	case o.ParallelReplication < 0 || o.ParallelReplication > 256:
		return fmt.Errorf("testenv: parallel_replication %d outside [0, 256]", o.ParallelReplication)
	case o.BinlogFormat != "ROW" && o.BinlogFormat != "STATEMENT" && o.BinlogFormat != "MIXED":
		return fmt.Errorf("testenv: binlog_format %q is not ROW, STATEMENT or MIXED", o.BinlogFormat)
	case o.Netns && (o.Base > 255 || netnsHost0+o.Hosts >= vipHost):
		return fmt.Errorf("testenv: netns mode needs base <= 255 (10.%d.<base>.0/24) and at most %d hosts", o.Net, vipHost-netnsHost0-1)
	case len(o.Dir) > 60:
		// Unix socket paths must stay below ~100 bytes.
		return fmt.Errorf("testenv: dir %q too long for unix socket paths (max 60 chars)", o.Dir)
	}
	return nil
}

// LoopbackNet is the third octet of test addresses: $MHAGO_TESTENV_NET, or
// 0 when unset or not a number.
func LoopbackNet() int {
	n, err := strconv.Atoi(os.Getenv("MHAGO_TESTENV_NET"))
	if err != nil {
		return 0
	}
	return n
}

// LoopbackIP is 127.0.<LoopbackNet>.host, for tests that start their own
// servers outside a cluster.
func LoopbackIP(host int) string { return fmt.Sprintf("127.0.%d.%d", LoopbackNet(), host) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}
