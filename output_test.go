package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An invalid config whose problem would quote the password: neither the
// --json document nor the message on stderr shows it. (No server needed.)
func TestConfigErrorsDoNotShowSecrets(t *testing.T) {
	const pw = "Sup3r-secret-PW"
	conf := filepath.Join(t.TempDir(), "app.cnf")
	text := "[server default]\npassword=" + pw + "\nping_type=" + pw + "\n[server1]\nhostname=127.0.0.1\n[server2]\nhostname=127.0.0.2\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "--conf", conf, "--json"}, {"check", "--conf", conf}, {"failover", "--conf", conf, "--dry-run"}} {
		code, out, errOut := runCLI(t, args...)
		if code != exitConfig || !strings.Contains(out+errOut, "ping_type") {
			t.Fatalf("%v: exit %d, want %d naming ping_type", args, code, exitConfig)
		}
		if strings.Contains(out+errOut, pw) {
			t.Fatalf("%v: the password is shown:\n%s\n%s", args, out, errOut)
		}
		if args[len(args)-1] == "--json" {
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil || doc["status"] != "config_error" {
				t.Fatalf("--json output: %v %v", doc, err)
			}
		}
	}
}
