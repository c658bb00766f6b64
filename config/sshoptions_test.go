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
		ignored     int
		wantErrText string
	}{
		{in: "-i /root/.ssh/mha_key", keys: []string{"/root/.ssh/mha_key"}},
		{in: "-i/root/.ssh/a -i '/root/my keys/b'", keys: []string{"/root/.ssh/a", "/root/my keys/b"}},
		{in: "-p 2222 -o ConnectTimeout=7", port: 2222, timeout: 7 * time.Second},
		{in: `-o "IdentityFile /root/.ssh/c" -oPort=2200`, keys: []string{"/root/.ssh/c"}, port: 2200},
		{in: "-q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null", ignored: 4},
		{in: "-o 'ServerAliveInterval 30'", ignored: 1},
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
			if !slices.Equal(o.identityFiles, tc.keys) || o.port != tc.port || o.connectTimeout != tc.timeout || len(o.ignored) != tc.ignored {
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
	var warned []string
	for _, w := range cfg.Warnings {
		warned = append(warned, w.String())
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "StrictHostKeyChecking=no") || !strings.Contains(warned[0], ":2:") {
		t.Fatalf("want one warning at line 2 about StrictHostKeyChecking, got %q", warned)
	}
}

func TestSSHOptionsMalformedIsAProblem(t *testing.T) {
	t.Parallel()
	_, err := Parse("/etc/mhago/app1.cnf", []byte("[server default]\nssh_options=-p ssh\n"+twoServers), testOpts())
	if err == nil || !strings.Contains(err.Error(), "app1.cnf:2") || !strings.Contains(err.Error(), "ssh_options") {
		t.Fatalf("want a located ssh_options problem, got %v", err)
	}
}
