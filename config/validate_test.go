package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestProblems checks each validation rule: the file must be rejected with a
// problem at the given line and key whose message contains msg.
func TestProblems(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"unknown key suggests", "[server default]\npasword=x\n" + twoServers, 2, "pasword", "unknown key"},
		{"bad section", "[mysql]\nuser=x\n" + twoServers, 1, "", "invalid block name"},
		{"section with space", "[server 1]\nhostname=host1\n" + twoServers, 1, "", "invalid block name"},
		{"bare server section", "[server]\nhostname=host1\n" + twoServers, 1, "", "invalid block name"},
		{"unclosed header", "[server1\nhostname=host1\n" + twoServers, 1, "", "no closing"},
		{"garbage line", "[server default]\njust words\n" + twoServers, 2, "", "cannot parse"},
		{"key outside section", "user=x\n" + twoServers, 1, "user", "outside any section"},
		{"duplicate key", "[server default]\nuser=a\nuser=b\n" + twoServers, 3, "user", "set twice"},
		{"duplicate section", twoServers + "[server1]\nport=3307\n", 6, "", "defined twice"},
		{"fewer than 2 servers", "[server1]\nhostname=host1\n", 0, "", "at least 2"},
		{"hostname required", "[server1]\nhostname=host1\n[server2]\nport=3307\n", 3, "hostname", "required"},
		{"hostname required in binlog", twoServers + "[binlog1]\nmaster_binlog_dir=/b\n", 6, "hostname", "required"},
		{"unresolvable host", "[server1]\nhostname=host1\n[server2]\nhostname=nowhere\n", 4, "hostname", `cannot resolve host "nowhere"`},
		{"ip not an address", "[server1]\nhostname=host1\nip=host2\n[server2]\nhostname=host2\n", 3, "ip", "not an IP"},
		{"port range", "[server default]\nport=70000\n" + twoServers, 2, "port", "between 1 and 65535"},
		{"ssh_port not a number", "[server1]\nhostname=host1\nssh_port=ssh\n[server2]\nhostname=host2\n", 3, "ssh_port", "not an integer"},
		{"duplicate ip:port", "[server1]\nhostname=host1\n[server2]\nhostname=10.0.0.1\n", 3, "ip", "same ip:port 10.0.0.1:3306"},
		{"duplicate explicit ip", "[server1]\nhostname=host1\n[server2]\nhostname=host2\nip=10.0.0.1\n", 5, "ip", "same ip:port"},
		{"ping_interval zero", "[server default]\nping_interval=0\n" + twoServers, 2, "ping_interval", "duration"},
		{"ping_type", "[server default]\nping_type=PING\n" + twoServers, 2, "ping_type", "SELECT, CONNECT, INSERT"},
		{"log_level", "[server default]\nlog_level=loud\n" + twoServers, 2, "log_level", "not a log level"},
		{"no_master and candidate_master", "[server1]\nhostname=host1\ncandidate_master=1\nno_master=1\n[server2]\nhostname=host2\n", 4, "no_master", "same server"},
		{"nobody promotable", "[server1]\nhostname=host1\nno_master=1\n[server2]\nhostname=host2\nno_master=1\n", 0, "no_master", "no server can be promoted"},
		{"redis_address form", "[server default]\nredis_address=localhost\n" + twoServers, 2, "redis_address", "not host:port"},
		{"redis_address port", "[server default]\nredis_address=127.0.0.1:0\n" + twoServers, 2, "redis_address", "not host:port"},
		{"redis_db negative", "[server default]\nredis_db=-1\n" + twoServers, 2, "redis_db", "not an integer"},
		{"redis_key_prefix", "[server default]\nredis_key_prefix=a b\n" + twoServers, 2, "redis_key_prefix", "without spaces"},
		{"cluster_id with a colon", "[server default]\ncluster_id=a:b\n" + twoServers, 2, "cluster_id", "not a cluster id"},
		{"lock_ttl too short", "[server default]\nlock_ttl=2s\n" + twoServers, 2, "lock_ttl", "at least 3s"},
		{"password and password_file", "[server default]\npassword=x\npassword_file=/p\n" + twoServers, 3, "password_file", "both password and password_file"},
		{"repl secret pair in block", "[server1]\nhostname=host1\nrepl_password=x\nrepl_password_file=/p\n[server2]\nhostname=host2\n", 4, "repl_password_file", "both"},
		{"redis secret pair", "[server default]\nredis_password_file=/p\nredis_password=x\n" + twoServers, 2, "redis_password_file", "both"},
		{"missing secret file", "[server default]\npassword_file=/nonexistent/pw\n" + twoServers, 2, "password_file", "cannot read secret file"},
		{"relative script", "[server default]\nreport_script=scripts/report\n" + twoServers, 2, "report_script", "relative"},
		{"bad boolean", "[server1]\nhostname=host1\ncandidate_master=2\n[server2]\nhostname=host2\n", 3, "candidate_master", "not a boolean"},
		{"empty boolean", "[server default]\ncheck_repl_delay=\n" + twoServers, 2, "check_repl_delay", "not a boolean"},
		{"bad duration", "[server default]\nphase_timeout=10 minutes\n" + twoServers, 2, "phase_timeout", "not a duration"},
		{"negative duration", "[server default]\nmysql_read_timeout=-5s\n" + twoServers, 2, "mysql_read_timeout", "not a duration"},
		{"relative manager_workdir", "[server default]\nmanager_workdir=var/tmp\n" + twoServers, 2, "manager_workdir", "not an absolute path"},
		{"relative manager_log", "[server default]\nmanager_log=app.log\n" + twoServers, 2, "manager_log", "not an absolute path"},
		{"relative binlog dir", "[server2]\nhostname=host2\nmaster_binlog_dir=/a, b\n[server1]\nhostname=host1\n", 3, "master_binlog_dir", `"b" is not an absolute path`},
		{"empty binlog dir list", "[server default]\nmaster_binlog_dir=,\n" + twoServers, 2, "master_binlog_dir", "empty list"},
		{"relative remote_workdir", "[server default]\nremote_workdir=tmp\n" + twoServers, 2, "remote_workdir", "not an absolute path"},
		{"remote_workdir climbs out", "[server default]\nremote_workdir=/var/tmp/../etc\n" + twoServers, 2, "remote_workdir", `"/var/tmp/../etc" contains a ".." element`},
		{"remote_workdir trailing ..", "[server1]\nhostname=host1\nremote_workdir=/var/tmp/..\n[server2]\nhostname=host2\n", 3, "remote_workdir", `contains a ".." element`},
		{"remote_workdir .. under home", "[server default]\nremote_workdir=~/../../etc\n" + twoServers, 2, "remote_workdir", `contains a ".." element`},
		{"remote_workdir is the root", "[server default]\nremote_workdir=/\n" + twoServers, 2, "remote_workdir", "is the root directory"},
		{"remote_workdir root spelled //", "[server2]\nhostname=host2\nremote_workdir=//\n[server1]\nhostname=host1\n", 3, "remote_workdir", "is the root directory"},
		{"remote_workdir empty", "[server default]\nremote_workdir=\n" + twoServers, 2, "remote_workdir", "empty directory"},
		{"manager_workdir climbs out", "[server default]\nmanager_workdir=/var/lib/mhago/../../etc\n" + twoServers, 2, "manager_workdir", `contains a ".." element`},
		{"manager_workdir is the root", "[server default]\nmanager_workdir=/\n" + twoServers, 2, "manager_workdir", "is the root directory"},
		{"relative ssh key", "[server default]\nssh_key_file=id_rsa\n" + twoServers, 2, "ssh_key_file", "not an absolute path"},
		{"unset env variable", "[server default]\npassword=${NOPE_NOT_SET}\n" + twoServers, 2, "password", "NOPE_NOT_SET is not set"},
		{"mhago app key differs in block", "[server default]\nlock_ttl=30s\n[server1]\nhostname=host1\nlock_ttl=40s\n[server2]\nhostname=host2\n", 5, "lock_ttl", "differs from [server default]"},
		{"mhago app key differs from built-in default", "[server1]\nhostname=host1\nredis_db=1\n[server2]\nhostname=host2\n", 3, "redis_db", "differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, tt.text, testOpts())
			for _, p := range ps {
				if p.Line == tt.line && p.Key == tt.key && strings.Contains(p.Msg, tt.msg) {
					if p.Fix == "" {
						t.Errorf("problem without a fix: %v", p)
					}
					if p.File != "/etc/mhago/app1.cnf" {
						t.Errorf("File = %q", p.File)
					}
					return
				}
			}
			t.Errorf("no problem at line %d key %q containing %q; got:%s", tt.line, tt.key, tt.msg, dumpProblems(ps))
		})
	}
}

func TestUnknownKeySuggestion(t *testing.T) {
	tests := []struct{ key, want string }{
		{"pasword", `did you mean "password"?`},
		{"candiate_master", `did you mean "candidate_master"?`},
		{"Hostname", `did you mean "hostname"?`},
		{"ping_intreval", `did you mean "ping_interval"?`},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzzz", "remove it; see config.example.ini for the accepted keys"},
	}
	for _, tt := range tests {
		ps := parseProblems(t, "[server default]\n"+tt.key+"=1\n"+twoServers, testOpts())
		if len(ps) != 1 || ps[0].Fix != tt.want {
			t.Errorf("%s: got%s, want fix %q", tt.key, dumpProblems(ps), tt.want)
		}
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	text := "[server default]\nping_type=x\nlock_ttl=1s\nfoo=1\n[server1]\nhostname=host1\nport=0\n"
	ps := parseProblems(t, text, testOpts())
	if len(ps) != 5 {
		t.Fatalf("want 5 problems (ping_type, lock_ttl, foo, port, <2 servers), got%s", dumpProblems(ps))
	}
	_, err := Parse("/etc/mhago/app1.cnf", []byte(text), testOpts())
	lines := strings.Split(err.Error(), "\n")
	eq(t, len(lines), 5)
	// Sorted by line, file-wide problems last.
	eq(t, lines[2], `/etc/mhago/app1.cnf:4: [server default] foo: unknown key (fix: remove it; see config.example.ini for the accepted keys)`)
	eq(t, strings.HasPrefix(lines[0], "/etc/mhago/app1.cnf:2: [server default] ping_type: "), true)
	eq(t, strings.HasPrefix(lines[4], "/etc/mhago/app1.cnf: 1 server block(s) defined"), true)
	if !errors.Is(err, ErrInvalid) {
		t.Error("errors.Is(err, ErrInvalid) is false")
	}
}

func TestGlobalFileProblems(t *testing.T) {
	dir := t.TempDir()
	global := filepath.Join(dir, "global.cnf")
	writeFile(t, global, "[server default]\nping_type=bogus\n[server1]\nhostname=host1\n", 0o600)
	opts := testOpts()
	opts.GlobalPath = global
	ps := parseProblems(t, twoServers, opts)
	if len(ps) != 2 || ps[0].File != global || ps[0].Line != 2 || ps[0].Key != "ping_type" || ps[1].Line != 3 {
		t.Errorf("got%s", dumpProblems(ps))
	}
}

func TestWorldReadableSecretIsOnlyAWarning(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	writeFile(t, pw, "xyzzy\n", 0o644)
	c, err := Parse(filepath.Join(dir, "a.cnf"), []byte("[server default]\npassword_file="+pw+"\n"+twoServers), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Fix, "chmod 600") {
		t.Errorf("warnings: %s", dumpProblems(c.Warnings))
	}
}

// TestWorkdirsAccepted keeps ordinary directories valid: names that merely
// contain dots are not ".." elements.
func TestWorkdirsAccepted(t *testing.T) {
	for _, dir := range []string{"/var/tmp", "/var/tmp/", "/srv/..hidden", "/srv/a..b", "/tmp/mhago.d"} {
		c := mustParse(t, "[server default]\nremote_workdir="+dir+"\nmanager_workdir="+dir+"\n"+twoServers)
		if c.Servers[0].RemoteWorkdir != dir || c.ManagerWorkdir != dir {
			t.Errorf("%s: remote_workdir %q, manager_workdir %q", dir, c.Servers[0].RemoteWorkdir, c.ManagerWorkdir)
		}
	}
}
