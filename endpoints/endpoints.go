// Package endpoints turns configuration into the connection settings of the
// thin I/O packages (remote, instance, coord), so that every command reaches
// hosts the same way.
package endpoints

import (
	"log/slog"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/remote"
)

// SSHOptions are the pool-wide SSH settings. acceptNew adds the operator's
// --accept-new-host-keys to the config's ssh_accept_unknown_host_keys.
func SSHOptions(cfg *config.Config, acceptNew bool, log *slog.Logger) remote.Options {
	return remote.Options{
		KeyFiles:           cfg.SSH.KeyFiles,
		UseAgent:           cfg.SSH.UseAgent,
		KnownHostsFile:     cfg.SSH.KnownHostsFile,
		AcceptUnknownHosts: cfg.SSH.AcceptUnknownHostKeys || acceptNew,
		ConnectTimeout:     cfg.Default.SSHConnectionTimeout,
		CommandTimeout:     cfg.SSH.CommandTimeout,
		Logger:             log,
	}
}

// SSHTarget is the SSH endpoint of one server.
func SSHTarget(s config.Server) remote.Target {
	return remote.Target{Name: s.Block, Host: s.SSHHost, Port: s.SSHPort, User: s.SSHUser,
		KeyFiles: s.SSHKeyFiles, ConnectTimeout: s.SSHConnectionTimeout}
}

// MySQL is the admin-user endpoint of one server.
func MySQL(cfg *config.Config, s config.Server) instance.Endpoint {
	return instance.Endpoint{
		Name: s.Block, Addr: s.Addr(), User: s.User, Password: s.Password.Reveal(),
		ConnectTimeout: cfg.Timeouts.MySQLConnect, ReadTimeout: cfg.Timeouts.MySQLRead,
	}
}

// Redis is the Redis endpoint; ok is false when none is configured. Addr
// is redis_address as written (the list, for messages); Addrs the list.
func Redis(cfg *config.Config) (coord.Options, bool) {
	r := cfg.Redis
	return coord.Options{
		Mode: redisModes[r.Mode], Addr: r.Address, Addrs: r.Addrs, MasterName: r.SentinelMaster,
		Username: r.Username, Password: r.Password.Reveal(),
		SentinelUsername: r.SentinelUsername, SentinelPassword: r.SentinelPassword.Reveal(),
		DB: r.DB, KeyPrefix: r.KeyPrefix, TLS: r.TLS, LockReplicas: r.LockReplicas,
	}, r.Enabled()
}

// redisModes maps redis_mode onto coord's modes.
var redisModes = map[config.RedisMode]coord.Mode{
	config.RedisSingle: coord.ModeSingle, config.RedisSentinel: coord.ModeSentinel, config.RedisCluster: coord.ModeCluster,
}
