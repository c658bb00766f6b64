package config

import (
	"strings"
	"testing"
	"time"
)

// TestMHASamples loads our own copies of MHA's documented configurations
// and common production variants (testdata/samples) and checks each means
// what it means to MHA: inheritance, block order, per-server keys, ssh
// options, quotes.
func TestMHASamples(t *testing.T) {
	t.Parallel()
	const dir = "testdata/samples/"
	tests := []struct {
		file, global string
		skipInit     bool
		check        func(t *testing.T, c *Config)
	}{
		{file: "app1.cnf", global: "masterha_default.cnf", check: func(t *testing.T, c *Config) {
			eq(t, strings.Join(blockNames(c.Servers), " "), "server1 server2 server3")
			s1, s2, s3 := c.Servers[0], c.Servers[1], c.Servers[2]
			eq(t, s1.User, "root")
			eq(t, s1.Password.Reveal(), "rootpass")
			eq(t, s2.ReplUser, "repl")
			eq(t, s3.RemoteWorkdir, "/data/log/masterha")
			eq(t, strings.Join(s1.MasterBinlogDirs, ","), "/var/lib/mysql")
			eq(t, c.ManagerWorkdir, "/var/log/masterha/app1")
			eq(t, c.ManagerLog, "/var/log/masterha/app1/manager.log")
			eq(t, c.PingInterval, 3*time.Second)
			eq(t, c.Scripts.MasterIPFailover, "/usr/local/bin/master_ip_failover")
			eq(t, c.Scripts.SecondaryCheck, "masterha_secondary_check -s remote_host1 -s remote_host2")
			eq(t, c.Scripts.Shutdown, "/usr/local/bin/power_manager")
			eq(t, s2.CandidateMaster, true)
			eq(t, c.ForServer("server2").CheckReplDelay, false)
			eq(t, c.ForServer("server1").CheckReplDelay, true)
			eq(t, s3.NoMaster, true)
			eq(t, strings.Join(c.CandidateOrder(), " "), "server2 server1")
		}},
		{file: "app_full.cnf", skipInit: true, check: func(t *testing.T, c *Config) {
			s1, s2, s3 := c.Servers[0], c.Servers[1], c.Servers[2]
			eq(t, s1.User, "mha_admin")
			eq(t, s1.Password.Reveal(), "Adm1n#pw")
			eq(t, s2.ReplPassword.Reveal(), "repl pw 2")
			eq(t, c.PingType, "INSERT")
			eq(t, c.PingInterval, time.Second)
			eq(t, c.Scripts.MasterIPFailover, "/usr/local/bin/master_ip_failover --vip=10.0.1.100")
			eq(t, c.Scripts.InitConfLoad, "/usr/local/bin/mha_load_secrets")
			eq(t, strings.Join(s1.SSHKeyFiles, ","), "/home/mha/.ssh/id_mha")
			eq(t, s1.SSHConnectionTimeout, 7*time.Second)
			eq(t, c.SSH.KnownHostsFile, "/etc/masterha/known_hosts")
			eq(t, c.SSH.AcceptUnknownHostKeys, false)
			eq(t, s2.SSHHost, "db2-mgmt.example.com")
			eq(t, s2.SSHIP, "10.0.2.12")
			eq(t, s3.Port, 3307)
			eq(t, s3.IgnoreFail && s3.NoMaster, true)
			eq(t, s1.NodeLabel, "db1 (rack A)")
			eq(t, strings.Join(s1.MasterBinlogDirs, ","), "/var/lib/mysql/binlog,/var/log/mysql")
			eq(t, len(c.BinlogServers), 1)
			eq(t, strings.Join(c.BinlogServers[0].MasterBinlogDirs, ","), "/var/lib/binlogserver")
			eq(t, c.ForServer("server2").CheckReplDelay, false)
			eq(t, strings.Join(c.CandidateOrder(), " "), "server1 server2")
			eq(t, noteMentions(c.Notes, "ServerAliveInterval"), true)
		}},
		{file: "app_connect.cnf", check: func(t *testing.T, c *Config) {
			eq(t, strings.Join(blockNames(c.Servers), " "), "server_dba server_dbb")
			eq(t, c.PingType, "CONNECT")
			eq(t, c.LatestPriority, false)
			eq(t, c.ForServer("server_dba").PingInterval, 5*time.Second)
			eq(t, c.ForServer("server_dbb").PingInterval, 3*time.Second)
			eq(t, c.ForServer("server_dba").Scripts.MasterIPFailover, "/usr/local/bin/master_ip_failover")
			eq(t, c.ForServer("server_dbb").Scripts.MasterIPFailover, "/usr/local/bin/master_ip_failover_b")
			eq(t, c.SSH.AcceptUnknownHostKeys, true)                     // StrictHostKeyChecking=no: accept-new
			eq(t, c.SSH.KnownHostsFile, "/home/tester/.ssh/known_hosts") // /dev/null not applied
			eq(t, noteMentions(c.Notes, "BatchMode") && noteMentions(c.Notes, "/dev/null"), true)
			eq(t, len(c.Warnings), 0)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			opts := testOpts()
			opts.SkipInitScript = tc.skipInit
			if tc.global != "" {
				opts.DefaultGlobalPath = dir + tc.global
			}
			c, err := Load(dir+tc.file, opts)
			if err != nil {
				t.Fatalf("%s does not load:\n%v", tc.file, err)
			}
			for _, w := range c.Warnings {
				if !strings.Contains(w.Msg, "not found in $PATH") && !strings.HasPrefix(w.Msg, "read but not acted on") {
					t.Errorf("unexpected warning: %s", w)
				}
			}
			tc.check(t, c)
		})
	}
}

func noteMentions(ps []Problem, s string) bool {
	for _, p := range ps {
		if strings.Contains(p.Msg, s) {
			return true
		}
	}
	return false
}

// TestDefaultGlobalFile: the default global file is read when present and
// skipped without a word when absent; an explicit one that is missing
// warns.
func TestDefaultGlobalFile(t *testing.T) {
	t.Parallel()
	opts := testOpts()
	opts.DefaultGlobalPath = "testdata/samples/masterha_default.cnf"
	c := mustParseOpts(t, twoServers, opts)
	eq(t, c.GlobalPath, "testdata/samples/masterha_default.cnf")
	eq(t, c.Default.User, "root")
	eq(t, c.Scripts.Report, "/usr/local/bin/send_report")

	opts.DefaultGlobalPath = t.TempDir() + "/masterha_default.cnf"
	c = mustParseOpts(t, twoServers, opts)
	eq(t, c.GlobalPath, "")
	eq(t, len(c.Warnings), 0)

	opts.GlobalPath = opts.DefaultGlobalPath
	c = mustParseOpts(t, twoServers, opts)
	eq(t, len(c.Warnings), 1)
	eq(t, strings.Contains(c.Warnings[0].Msg, "not found"), true)
}

func mustParseOpts(t *testing.T, text string, opts LoadOptions) *Config {
	t.Helper()
	c, err := Parse("/etc/mhago/app1.cnf", []byte(text), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
