package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInitConfLoadScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "load_conf.sh")
	writeFile(t, script, "#!/bin/sh\necho 'password=from-script'\necho\necho '# comment'\necho 'repl_password=\"a=b\"'\necho 'ping_interval=9'\n", 0o700)
	text := "[server default]\npassword=from-file\nping_interval=3\ninit_conf_load_script=" + script + "\n" +
		"[server1]\nhostname=host1\n[server2]\nhostname=host2\nrepl_password=block\n"
	c, err := Parse(filepath.Join(dir, "app.cnf"), []byte(text), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	eq(t, c.Servers[0].Password.Reveal(), "from-script")
	eq(t, c.Servers[0].ReplPassword.Reveal(), "a=b")
	eq(t, c.Servers[1].ReplPassword.Reveal(), "block") // a server block still wins, as in MHA
	eq(t, c.PingInterval, 9*time.Second)
	eq(t, c.Scripts.InitConfLoad, script)
	loc, _ := c.Where("server default", "ping_interval")
	eq(t, loc, Location{File: script + " (output)", Line: 5, Section: "server default"})

	opts := testOpts()
	opts.SkipInitScript = true
	c, err = Parse(filepath.Join(dir, "app.cnf"), []byte(text), opts)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, c.Servers[0].Password.Reveal(), "from-file")
}

func TestInitConfLoadScriptProblems(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body string
		file       string // "" = the config file
		line       int
		key, msg   string
	}{
		{"fails", "echo boom >&2\nexit 3", "", 2, "init_conf_load_script", "exit status 3: boom"},
		{"hangs", "sleep 5", "", 2, "init_conf_load_script", "did not finish within 200ms"},
		{"unknown key", "echo 'pasword=x'", "output", 1, "pasword", "unknown key"},
		{"not name=value", "echo password=x\necho 'garbage line'", "output", 2, "", "not name=value"},
		{"per-block key", "echo 'hostname=x'", "output", 1, "hostname", "cannot set this key"},
		{"bad value", "echo 'ping_type=nope'", "output", 1, "ping_type", "not one of"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := filepath.Join(dir, "s"+string(rune('a'+i))+".sh")
			writeFile(t, script, "#!/bin/sh\n"+tt.body+"\n", 0o700)
			opts := testOpts()
			opts.InitScriptTimeout = 200 * time.Millisecond
			text := "[server default]\ninit_conf_load_script=" + script + "\n" + twoServers
			start := time.Now()
			ps := parseProblems(t, text, opts)
			if took := time.Since(start); took > time.Second {
				t.Errorf("Parse took %v; the timeout did not stop the script", took)
			}
			for _, p := range ps {
				fileOK := (tt.file == "" && p.File == "/etc/mhago/app1.cnf") || (tt.file != "" && strings.HasSuffix(p.File, "(output)"))
				if fileOK && p.Line == tt.line && p.Key == tt.key && strings.Contains(p.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("no problem at line %d key %q containing %q; got:%s", tt.line, tt.key, tt.msg, dumpProblems(ps))
		})
	}
}

func TestInitConfLoadScriptMustBeAbsolute(t *testing.T) {
	ps := parseProblems(t, "[server default]\ninit_conf_load_script=./load.sh\n"+twoServers, testOpts())
	if len(ps) != 1 || ps[0].Key != "init_conf_load_script" || ps[0].Line != 2 {
		t.Errorf("got%s", dumpProblems(ps))
	}
}
