package cluster

import (
	"fmt"
	"os"
	"strings"
)

// writeAppConfig writes <dir>/app.cnf (MHA app.cnf format) and creates the
// work dirs it names.
func (c *Cluster) writeAppConfig() error {
	for i := 1; i <= c.opts.Hosts; i++ {
		if err := os.MkdirAll(c.WorkDir(i), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", c.WorkDir(i), err)
		}
	}
	if err := os.MkdirAll(c.ManagerDir(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", c.ManagerDir(), err)
	}
	if err := os.WriteFile(c.ConfigPath(), []byte(c.AppConfig()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", c.ConfigPath(), err)
	}
	return nil
}

// AppConfig renders the mhago configuration for this cluster.
func (c *Cluster) AppConfig() string {
	var b strings.Builder
	kv := func(k string, v any) { fmt.Fprintf(&b, "%s=%v\n", k, v) }
	b.WriteString("[server default]\n")
	kv("user", "mhago")
	kv("password_file", c.PasswordFile())
	kv("repl_user", "repl")
	kv("repl_password_file", c.ReplPasswordFile())
	kv("ssh_user", "root")
	kv("ssh_port", c.opts.SSHPort)
	kv("port", c.opts.MySQLPort)
	kv("master_binlog_dir", c.BinlogDir(1))
	kv("manager_workdir", c.ManagerDir())
	kv("manager_log", c.ManagerDir()+"/app.log")
	kv("ping_interval", 3)
	kv("ssh_key_file", c.ClientKeyFile())
	kv("ssh_known_hosts_file", c.KnownHostsFile())
	kv("redis_address", c.RedisAddr())
	kv("ssh_connection_timeout", 5)
	if c.opts.Netns {
		kv("vip", c.VIP()+"/32")
		kv("vip_interface", c.VIPInterface())
	}
	for i := 1; i <= c.opts.Hosts; i++ {
		fmt.Fprintf(&b, "\n[server%d]\n", i)
		kv("hostname", c.IP(i))
		kv("ip", c.IP(i))
		kv("master_binlog_dir", c.BinlogDir(i))
		kv("remote_workdir", c.WorkDir(i))
		if i == 2 {
			kv("candidate_master", 1)
		}
	}
	return b.String()
}
