package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestParseSyntax(t *testing.T) {
	tests := []struct {
		name, text string
		check      func(t *testing.T, c *Config)
	}{
		{"comments and blank lines", "# c1\n; c2\n\n[server default]\n  # indented comment\nuser=u1\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].User, "u1") }},
		{"spaces around =", "[server default]\n  user   =   u2  \n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[1].User, "u2") }},
		{"double quotes stripped", "[server default]\npassword=\"p w\"\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "p w") }},
		{"single quotes stripped", "[server default]\npassword='pw'\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "pw") }},
		{"trailing quote only, as MHA", "[server default]\npassword=pw'\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "pw") }},
		{"leading quote only kept, as MHA", "[server default]\npassword='pw\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "'pw") }},
		{"no inline comments", "[server default]\npassword=a#b ;c\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "a#b ;c") }},
		{"value with =", "[server default]\npassword=a=b\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "a=b") }},
		{"CRLF and BOM", "\ufeff[server default]\r\nuser=u3\r\n[server1]\r\nhostname=host1\r\n[server2]\r\nhostname=host2\r\n",
			func(t *testing.T, c *Config) { eq(t, c.Servers[1].Hostname, "host2"); eq(t, c.Servers[0].User, "u3") }},
		{"spaces inside brackets", "[ server default ]\nuser=u4\n[ server1 ]\nhostname=host1\n[server2]\nhostname=host2\n",
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].User, "u4") }},
		{"env whole value", "[server default]\npassword=${MHAGO_MYSQL_PASSWORD}\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "mysql-secret-pw") }},
		{"env embedded, bare $ kept", "[server default]\npassword=x${MHAGO_REPL_PASSWORD}y$HOME\n" + twoServers,
			func(t *testing.T, c *Config) { eq(t, c.Servers[0].Password.Reveal(), "xrepl-secret-pwy$HOME") }},
		{"booleans in all spellings", "[server1]\nhostname=host1\ncandidate_master=yes\nignore_fail=On\n[server2]\nhostname=host2\ncandidate_master=true\nno_master=0\n",
			func(t *testing.T, c *Config) {
				eq(t, c.Servers[0].CandidateMaster && c.Servers[0].IgnoreFail && c.Servers[1].CandidateMaster, true)
			}},
		{"durations", "[server default]\nlock_ttl=45\nphase_timeout=2m\nping_interval=1500ms\n" + twoServers,
			func(t *testing.T, c *Config) {
				eq(t, c.Redis.LockTTL, 45*time.Second)
				eq(t, c.Timeouts.Phase, 2*time.Minute)
				eq(t, c.PingInterval, 1500*time.Millisecond)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, mustParse(t, tt.text)) })
	}
}

func eq[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, twoServers)
	s := c.Servers[0]
	want := Server{Block: "server1", Line: 2, Hostname: "host1", IP: "10.0.0.1", Port: 3306, User: "root",
		SSHUser: "tester", SSHHost: "host1", SSHIP: "10.0.0.1", SSHPort: 22, SSHConnectionTimeout: 5 * time.Second,
		MasterBinlogDirs: []string{"/var/lib/mysql", "/var/log/mysql"}, RemoteWorkdir: "/var/tmp", HandleRawBinlog: true,
		Settings: Settings{CheckReplDelay: true, LatestPriority: true, PingInterval: 3 * time.Second, PingType: "SELECT"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("server1 =\n%+v\nwant\n%+v", s, want)
	}
	eq(t, c.App, "app1")
	eq(t, c.LogLevel, "info")
	eq(t, c.ManagerWorkdir, "/var/tmp")
	eq(t, c.ManagerLog, "")
	eq(t, c.CheckReplDelay && c.CheckReplFilter && c.LatestPriority && c.UseGTIDAutoPos, true)
	eq(t, c.MultiTierSlave, false)
	eq(t, c.PingInterval, 3*time.Second)
	eq(t, c.PingType, "SELECT")
	wantRedis := RedisConfig{Mode: RedisSingle, DB: 0, KeyPrefix: "mhago", LockTTL: 30 * time.Second}
	if !reflect.DeepEqual(c.Redis, wantRedis) {
		t.Errorf("Redis = %+v, want %+v", c.Redis, wantRedis)
	}
	eq(t, c.Redis.Enabled(), false)
	wantSSH := SSHConfig{KeyFiles: []string{"/home/tester/.ssh/id_ed25519", "/home/tester/.ssh/id_rsa"}, UseAgent: true,
		KnownHostsFile: "/home/tester/.ssh/known_hosts", CommandTimeout: 60 * time.Second}
	if !reflect.DeepEqual(c.SSH, wantSSH) {
		t.Errorf("SSH = %+v, want %+v", c.SSH, wantSSH)
	}
	eq(t, c.Timeouts, Timeouts{MySQLConnect: 4 * time.Second, MySQLRead: 30 * time.Second, Check: time.Minute, Phase: 10 * time.Minute})
}

func TestServerHelpers(t *testing.T) {
	c := mustParse(t, "[server1]\nhostname=v6host\nport=3307\n[server2]\nhostname=127.0.0.2\nssh_host=host3\nssh_port=2200\n")
	eq(t, c.Servers[0].IP, "fd00::5")
	eq(t, c.Servers[0].Addr(), "[fd00::5]:3307")
	eq(t, c.Servers[0].String(), "v6host([fd00::5]:3307)")
	eq(t, c.Servers[1].String(), "127.0.0.2(127.0.0.2:3306)")
	eq(t, c.Servers[1].SSHAddr(), "host3:2200")
	eq(t, c.Servers[1].SSHIP, "10.0.0.3")
	s, ok := c.FindServer("127.0.0.2", 3306)
	eq(t, ok && s.Block == "server2", true)
	_, ok = c.FindServer("v6host", 3306)
	eq(t, ok, false)
	s, ok = c.Server("server1")
	eq(t, ok && s.Port == 3307, true)
}

func blockNames(ss []Server) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Block)
	}
	return out
}

func TestServerOrder(t *testing.T) {
	tests := []struct {
		name   string
		blocks []string
		want   []string
	}{
		{"numeric", []string{"server10", "server2", "server1"}, []string{"server1", "server2", "server10"}},
		{"numeric with prefixes", []string{"server_db12", "serverB3", "server_a7"}, []string{"serverB3", "server_a7", "server_db12"}},
		{"one without digits sorts all by name", []string{"server10", "server2", "serverX"}, []string{"server10", "server2", "serverX"}},
		{"names", []string{"server_c", "server_a", "server_b"}, []string{"server_a", "server_b", "server_c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := ""
			for i, b := range tt.blocks {
				text += "[" + b + "]\nhostname=127.0.0." + string(rune('1'+i)) + "\n"
			}
			got := blockNames(mustParse(t, text).Servers)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInheritance(t *testing.T) {
	dir := t.TempDir()
	global := filepath.Join(dir, "masterha_default.cnf")
	writeFile(t, global, "[server default]\nuser=g_user\npassword=g_pw\nport=3310\nping_interval=7\nssh_user=g_ssh\n", 0o600)
	text := "[server default]\nuser=a_user\nssh_port=2022\n" +
		"[server1]\nhostname=host1\nuser=s_user\n" +
		"[server2]\nhostname=host2\npassword=s_pw\n"
	opts := testOpts()
	opts.GlobalPath = global
	c, err := Parse(filepath.Join(dir, "app.cnf"), []byte(text), opts)
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := c.Servers[0], c.Servers[1]
	eq(t, s1.User, "s_user")            // block beats app default
	eq(t, s2.User, "a_user")            // app default beats global
	eq(t, s1.Password.Reveal(), "g_pw") // global inherited
	eq(t, s2.Password.Reveal(), "s_pw")
	eq(t, s1.Port, 3310)
	eq(t, s1.SSHPort, 2022)
	eq(t, s2.SSHUser, "g_ssh")
	eq(t, c.PingInterval, 7*time.Second)
	loc, ok := c.Where("server2", "user")
	eq(t, ok, true)
	eq(t, loc, Location{File: filepath.Join(dir, "app.cnf"), Line: 2, Section: "server default"})
	loc, _ = c.Where("server1", "port")
	eq(t, loc, Location{File: global, Line: 4, Section: "server default"})
	eq(t, c.Default.User, "a_user")
	eq(t, len(c.Warnings), 0)
}

func TestMissingGlobalFileIsAWarning(t *testing.T) {
	opts := testOpts()
	opts.GlobalPath = filepath.Join(t.TempDir(), "absent.cnf")
	c, err := Parse("app.cnf", []byte(twoServers), opts)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, len(c.Warnings), 1)
}

func TestPerBlockKeysNotInherited(t *testing.T) {
	c := mustParse(t, "[server default]\ncandidate_master=1\nno_master=1\nnode_label=x\n"+twoServers)
	for _, s := range c.Servers {
		eq(t, s.CandidateMaster || s.NoMaster || s.NodeLabel != "", false)
	}
	eq(t, len(c.Warnings), 3)
	eq(t, c.Warnings[0].Line, 2)
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "mysql.pw"), "file-pw\n", 0o600)
	writeFile(t, filepath.Join(dir, "repl.pw"), "repl-pw\r\n", 0o644)
	writeFile(t, filepath.Join(dir, "redis.pw"), "redis-pw", 0o600)
	text := "[server default]\npassword_file=mysql.pw\nredis_password_file=" + filepath.Join(dir, "redis.pw") +
		"\nredis_address=127.0.0.1:6379\n[server1]\nhostname=host1\nrepl_password_file=repl.pw\n[server2]\nhostname=host2\npassword=override\n"
	c, err := Parse(filepath.Join(dir, "app.cnf"), []byte(text), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	eq(t, c.Servers[0].Password.Reveal(), "file-pw")
	eq(t, c.Servers[1].Password.Reveal(), "override") // a block's password beats an inherited password_file
	eq(t, c.Servers[0].ReplPassword.Reveal(), "repl-pw")
	eq(t, c.Servers[0].ReplPasswordSet, true)
	eq(t, c.Servers[1].ReplPasswordSet, false)
	eq(t, c.Redis.Password.Reveal(), "redis-pw")
	eq(t, len(c.Warnings), 1) // repl.pw is world readable
	eq(t, c.Warnings[0].Key, "repl_password_file")
	eq(t, c.Warnings[0].Line, 7)
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask
		t.Fatal(err)
	}
}

func TestMHAExamplesLoadUnchanged(t *testing.T) {
	opts := testOpts()
	opts.GlobalPath = "testdata/masterha_default.cnf"
	c1, err := Load("testdata/mha_app1.cnf", testOpts())
	if err != nil {
		t.Fatalf("mha_app1: %v", err)
	}
	eq(t, c1.App, "mha_app1")
	eq(t, c1.Servers[2].String(), "host3(10.0.0.3:3306)")
	eq(t, c1.Servers[0].RemoteWorkdir, "/var/log/masterha/app1")

	c2, err := Load("testdata/mha_app2.cnf", opts)
	if err != nil {
		t.Fatalf("mha_app2: %v", err)
	}
	eq(t, c2.Servers[2].Port, 3307)
	eq(t, c2.Servers[2].NoMaster, true)
	eq(t, c2.Servers[0].Password.Reveal(), "rootpass")
	eq(t, c2.Servers[0].MasterBinlogDirs[0], "/var/lib/mysql")
	eq(t, c2.Scripts.Shutdown, "/script/masterha/power_manager")
	eq(t, c2.Scripts.SecondaryCheck, "/usr/bin/masterha_secondary_check -s remote_host1 -s remote_host2")
	eq(t, c2.ManagerLog, "/var/log/masterha/app2/app2.log")

	c3, err := Load("testdata/mha_gtid.cnf", testOpts())
	if err != nil {
		t.Fatalf("mha_gtid: %v", err)
	}
	if got := blockNames(c3.Servers); !reflect.DeepEqual(got, []string{"server1", "server2", "server10"}) {
		t.Errorf("order %v", got)
	}
	s10 := c3.Servers[2]
	eq(t, s10.SSHPort, 22)
	eq(t, s10.SSHIP, "172.16.0.10")
	eq(t, c3.Servers[0].SSHPort, 2222)
	eq(t, c3.Servers[0].Password.Reveal(), "S3cret#1")
	eq(t, c3.Servers[0].ReplPassword.Reveal(), "repl pass")
	eq(t, c3.Servers[0].SSHOptions, "-o StrictHostKeyChecking=no")
	eq(t, len(c3.Servers[0].MasterBinlogDirs), 2)
	eq(t, c3.PingType, "CONNECT")
	eq(t, c3.CheckReplDelay, false)
	eq(t, c3.SlogLevel().String(), "DEBUG")
	eq(t, len(c3.BinlogServers), 1)
	eq(t, c3.BinlogServers[0].IP, "192.168.0.100")
	eq(t, c3.BinlogServers[0].MasterBinlogDirs[0], "/var/lib/binlogserver")
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.cnf"), testOpts())
	if err == nil || !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want a wrapped not-exist error", err)
	}
}

func BenchmarkLoadExample(b *testing.B) {
	for b.Loop() {
		if _, err := Load(examplePath, testOpts()); err != nil {
			b.Fatal(err)
		}
	}
}
