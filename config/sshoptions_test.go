package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSSHOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in          string
		keys        []string
		port        int
		timeout     time.Duration
		notes       int
		user        string
		knownHosts  string
		policy      HostKeyPolicy
		wantErrText string
	}{
		{in: "-i /root/.ssh/mha_key", keys: []string{"/root/.ssh/mha_key"}},
		{in: "-i/root/.ssh/a -i '/root/my keys/b'", keys: []string{"/root/.ssh/a", "/root/my keys/b"}},
		{in: "-p 2222 -o ConnectTimeout=7", port: 2222, timeout: 7 * time.Second},
		{in: `-o "IdentityFile /root/.ssh/c" -oPort=2200`, keys: []string{"/root/.ssh/c"}, port: 2200},
		{in: "-q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null", notes: 4, policy: HostKeyAcceptNew},
		{in: "-o 'ServerAliveInterval 30'", notes: 1},
		{in: "-o ControlMaster=auto -o ControlPersist=60s -o LogLevel=ERROR", notes: 3},
		{in: "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/mha/known_hosts", knownHosts: "/etc/mha/known_hosts", policy: HostKeyRefuseUnknown},
		{in: "-o StrictHostKeyChecking=accept-new", policy: HostKeyAcceptNew},
		{in: "-o StrictHostKeyChecking=ask", policy: HostKeyRefuseUnknown},
		{in: "-o 'UserKnownHostsFile /a/kh /b/kh'", knownHosts: "/a/kh", notes: 1},
		{in: "-l mha -o User=root", user: "root"},
		{in: "-o User=mha", user: "mha"},
		{in: "-o StrictHostKeyChecking=maybe", wantErrText: "StrictHostKeyChecking"},
		{in: "", keys: nil},
		{in: "-i", wantErrText: "-i needs a value"},
		{in: "-p 99999", wantErrText: "not a number from 1 to 65535"},
		{in: "-o ConnectTimeout=soon", wantErrText: "ConnectTimeout"},
		{in: "-i '/root/unterminated", wantErrText: "unterminated"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			o, err := parseSSHOptions(tc.in)
			if tc.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrText) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.identityFiles, tc.keys) || o.port != tc.port || o.connectTimeout != tc.timeout || len(o.notes) != tc.notes ||
				o.user != tc.user || o.knownHostsFile != tc.knownHosts || o.hostKeyPolicy != tc.policy {
				t.Fatalf("got %+v", o)
			}
		})
	}
}

func TestSSHOptionsApplied(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, "[server default]\nssh_options=-i ~/.ssh/mha_key -p 2222 -o StrictHostKeyChecking=no\n"+
		"[server1]\nhostname=host1\n[server2]\nhostname=host2\nssh_port=2200\n")
	s1, s2 := cfg.Servers[0], cfg.Servers[1]
	if !slices.Equal(s1.SSHKeyFiles, []string{"/home/tester/.ssh/mha_key"}) || s1.SSHPort != 2222 {
		t.Fatalf("server1: keys %v port %d", s1.SSHKeyFiles, s1.SSHPort)
	}
	if s2.SSHPort != 2200 {
		t.Fatalf("an explicit ssh_port must win over ssh_options -p: %d", s2.SSHPort)
	}
	if s1.SSHOptions == "" {
		t.Fatal("the raw value must still reach the hooks")
	}
	if len(cfg.Warnings) != 0 {
		t.Fatalf("ssh_options must not warn on every run:%s", dumpProblems(cfg.Warnings))
	}
	if len(cfg.Notes) != 1 || !strings.Contains(cfg.Notes[0].String(), "StrictHostKeyChecking=no") || cfg.Notes[0].Line != 2 {
		t.Fatalf("want one note at line 2 about StrictHostKeyChecking, got:%s", dumpProblems(cfg.Notes))
	}
	if !cfg.SSH.AcceptUnknownHostKeys {
		t.Fatal("StrictHostKeyChecking=no must record unknown host keys (accept-new)")
	}
}

// TestSSHOptionsHostKeys: UserKnownHostsFile and StrictHostKeyChecking set
// the pool-wide known_hosts and policy, the mhago keys win, and servers
// that disagree are refused at the disagreeing line.
func TestSSHOptionsHostKeys(t *testing.T) {
	t.Parallel()
	const opts = "ssh_options=\"-i /root/.ssh/mha -o UserKnownHostsFile=/etc/mha/kh -o StrictHostKeyChecking=yes\"\n"
	cfg := mustParse(t, "[server default]\n"+opts+twoServers)
	if cfg.SSH.KnownHostsFile != "/etc/mha/kh" || cfg.SSH.AcceptUnknownHostKeys {
		t.Fatalf("ssh: %+v", cfg.SSH)
	}
	if loc, ok := cfg.Where("server default", "ssh_known_hosts_file"); !ok || loc.Line != 2 {
		t.Fatalf("where: %+v %v", loc, ok)
	}
	cfg = mustParse(t, "[server default]\n"+opts+"ssh_known_hosts_file=/root/kh\nssh_accept_unknown_host_keys=1\n"+twoServers)
	if cfg.SSH.KnownHostsFile != "/root/kh" || !cfg.SSH.AcceptUnknownHostKeys {
		t.Fatalf("the mhago keys must win: %+v", cfg.SSH)
	}
	cfg = mustParse(t, "[server default]\nssh_options=-o StrictHostKeyChecking=accept-new\n"+twoServers)
	if !cfg.SSH.AcceptUnknownHostKeys || cfg.SSH.KnownHostsFile != "/home/tester/.ssh/known_hosts" {
		t.Fatalf("accept-new: %+v", cfg.SSH)
	}
	ps := parseProblems(t, "[server default]\n"+opts+"[server1]\nhostname=host1\n[server2]\nhostname=host2\nssh_options=-o UserKnownHostsFile=/other\n", testOpts())
	if len(ps) != 1 || ps[0].Line != 7 || !strings.Contains(ps[0].Msg, "UserKnownHostsFile differs") {
		t.Fatalf("problems:%s", dumpProblems(ps))
	}
}

func TestSSHOptionsUser(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, "[server default]\nssh_options=-l mha\n[server1]\nhostname=host1\n[server2]\nhostname=host2\nssh_user=admin\n")
	if cfg.Servers[0].SSHUser != "mha" || cfg.Servers[1].SSHUser != "admin" {
		t.Fatalf("users %q %q", cfg.Servers[0].SSHUser, cfg.Servers[1].SSHUser)
	}
}

func TestSSHOptionsMalformedIsAProblem(t *testing.T) {
	t.Parallel()
	_, err := Parse("/etc/mhago/app1.cnf", []byte("[server default]\nssh_options=-p ssh\n"+twoServers), testOpts())
	if err == nil || !strings.Contains(err.Error(), "app1.cnf:2") || !strings.Contains(err.Error(), "ssh_options") {
		t.Fatalf("want a located ssh_options problem, got %v", err)
	}
}
