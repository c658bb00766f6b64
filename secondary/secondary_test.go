package secondary

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/internal/netprobe"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Request
		ok   bool
	}{
		{"MHA's documented form plus the manager's arguments",
			[]string{"-s", "mon2", "-s", "mon3", "--user=root", "--master_host=db1", "--master_ip=10.0.0.1", "--master_port=3307", "--master_user=mha"},
			Request{Hosts: []string{"mon2", "mon3"}, User: "root", Port: 22, MasterHost: "db1", MasterIP: "10.0.0.1", MasterPort: 3307, Timeout: 5 * time.Second}, true},
		{"long names, separate values, ssh options",
			[]string{"--secondary_host", "mon2", "--user", "mha", "--port", "2222", "--master_host", "db1", "--timeout", "2",
				"--options", "-i /k/id -p 2200 -o ConnectTimeout=3 -o BatchMode=yes", "--ping_type=insert"},
			Request{Hosts: []string{"mon2"}, User: "mha", Port: 2200, KeyFiles: []string{"/k/id"}, ConnectTimeout: 3 * time.Second,
				MasterHost: "db1", MasterPort: 3306, Timeout: 2 * time.Second, PingType: "INSERT", Ignored: []string{"-o BatchMode=yes"}}, true},
		{"abbreviations and unknown options",
			[]string{"--secondary=mon2", "--master_h=db1", "--bogus=1", "stray"},
			Request{Hosts: []string{"mon2"}, User: "root", Port: 22, MasterHost: "db1", MasterPort: 3306, Timeout: 5 * time.Second,
				Ignored: []string{"--bogus=1", "stray"}}, true},
		{"the last --user wins, as with Getopt", []string{"-s", "m", "--user=a", "--master_host=db1", "--user=b"},
			Request{Hosts: []string{"m"}, User: "b", Port: 22, MasterHost: "db1", MasterPort: 3306, Timeout: 5 * time.Second}, true},
		{"no master", []string{"-s", "mon2"}, Request{}, false},
		{"no secondary host", []string{"--master_host=db1"}, Request{}, false},
		{"bad port", []string{"-s", "m", "--master_host=db1", "--master_port=x"}, Request{}, false},
		{"value missing", []string{"--master_host=db1", "-s"}, Request{}, false},
		{"ambiguous prefix", []string{"-s", "m", "--master_host=db1", "--master=x"}, Request{Hosts: []string{"m"}, User: "root", Port: 22,
			MasterHost: "db1", MasterPort: 3306, Timeout: 5 * time.Second, Ignored: []string{"--master=x"}}, true},
	}
	for _, tt := range tests {
		got, err := ParseArgs(tt.args)
		if (err == nil) != tt.ok || (tt.ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("%s: ParseArgs = %+v, %v; want %+v ok=%v", tt.name, got, err, tt.want, tt.ok)
		}
	}
}

func TestScriptArgs(t *testing.T) {
	tests := []struct {
		script string
		want   []string
		ok     bool
	}{
		{"masterha_secondary_check -s mon2 -s mon3", []string{"-s", "mon2", "-s", "mon3"}, true},
		{"/usr/bin/masterha_secondary_check -s mon2 --options='-o ConnectTimeout=3'", []string{"-s", "mon2", "--options=-o ConnectTimeout=3"}, true},
		{"/usr/local/bin/my_check -s mon2", nil, false},
		{"masterha_secondary_check -s 'unterminated", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, ok := ScriptArgs(tt.script)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ScriptArgs(%q) = %q, %v; want %q, %v", tt.script, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBuiltin(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	installed := filepath.Join(dir, Program)
	tests := []struct {
		script string
		want   bool
	}{
		{"masterha_secondary_check -s mon2", true},
		{"/nonexistent/bin/masterha_secondary_check -s mon2", true},
		{"/usr/local/bin/my_check -s mon2", false},
	}
	for _, tt := range tests {
		if got := Builtin(tt.script); got != tt.want {
			t.Errorf("Builtin(%q) without MHA = %v, want %v", tt.script, got, tt.want)
		}
	}
	if err := os.WriteFile(installed, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"masterha_secondary_check -s mon2", installed + " -s mon2"} {
		if Builtin(s) {
			t.Errorf("Builtin(%q) with MHA's script installed = true", s)
		}
	}
}

func TestVerdict(t *testing.T) {
	down := HostResult{Host: "a", Reach: netprobe.Unreachable}
	up := HostResult{Host: "b", Reach: netprobe.Greeted}
	hung := HostResult{Host: "c", Reach: netprobe.Silent}
	lost := HostResult{Host: "d", Err: errors.New("ssh: no route")}
	tests := []struct {
		name string
		in   []HostResult
		want int
	}{
		{"unreachable from all", []HostResult{down, down}, decide.SecondaryDown},
		{"reached from one", []HostResult{down, up}, decide.SecondaryMasterUp},
		{"a hung master's port accepts", []HostResult{hung}, decide.SecondaryMasterUp},
		{"a secondary host lost", []HostResult{down, lost}, decide.SecondaryRouteDown},
		{"the first decides, as MHA's loop stops there", []HostResult{lost, up}, decide.SecondaryRouteDown},
		{"the first decides (reached first)", []HostResult{up, lost}, decide.SecondaryMasterUp},
		{"not asked is not down", []HostResult{{Host: "e"}}, decide.SecondaryRouteDown},
	}
	for _, tt := range tests {
		if got := Verdict(tt.in); got != tt.want {
			t.Errorf("%s: Verdict = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWorkdirFor(t *testing.T) {
	cfg := &config.Config{Servers: []config.Server{{Hostname: "db1", IP: "10.0.0.1", RemoteWorkdir: "/srv/mha"}},
		Default: config.Server{RemoteWorkdir: "/var/lib/mha"}}
	for host, want := range map[string]string{"db1": "/srv/mha", "10.0.0.1": "/srv/mha", "mon2": "/var/lib/mha"} {
		if got := WorkdirFor(cfg, host); got != want {
			t.Errorf("WorkdirFor(%s) = %s, want %s", host, got, want)
		}
	}
	if got := WorkdirFor(nil, "mon2"); got != "/var/tmp" {
		t.Errorf("WorkdirFor without config = %s", got)
	}
}

func TestMasterAddr(t *testing.T) {
	if got := (Request{MasterHost: "db1", MasterIP: "10.0.0.1", MasterPort: 3306}).MasterAddr(); got != "db1:3306" {
		t.Errorf("MasterAddr = %s", got)
	}
	if got := (Request{MasterIP: "10.0.0.1", MasterPort: 3307}).MasterAddr(); got != "10.0.0.1:3307" {
		t.Errorf("MasterAddr = %s", got)
	}
}
