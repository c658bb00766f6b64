package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests never read this machine's /etc/masterha_default.cnf.
func init() { defaultGlobalConf = "" }

// writeFiles writes name -> text into a fresh directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestConfigValidate: an MHA app.cnf with a global file (--global_conf,
// MHA's spelling) and an overlay beside it validates without any host
// running; --json is one snake_case document with exit_code and status.
func TestConfigValidate(t *testing.T) {
	const pw = "Validate-secret-PW"
	dir := writeFiles(t, map[string]string{
		"global.cnf": "[server default]\npassword=" + pw + "\nssh_options=\"-q -o StrictHostKeyChecking=accept-new\"\n",
		"app1.cnf": "[server default]\nuser=mha\n[server1]\nhostname=127.0.0.1\nport=3306\n[server2]\nhostname=127.0.0.1\nport=3307\n" +
			"candidate_master=1\ncheck_repl_delay=0\n[server3]\nhostname=127.0.0.1\nport=3308\nno_master=1\n",
		"app1.mhago.cnf": "[mhago]\nredis_address=127.0.0.1:1\n",
	})
	conf := filepath.Join(dir, "app1.cnf")
	code, out, errOut := runCLI(t, "config", "validate", "--conf", conf, "--global_conf", filepath.Join(dir, "global.cnf"), "--json")
	if code != 0 || strings.Contains(out+errOut, pw) {
		t.Fatalf("exit %d (want 0), or the password is shown", code)
	}
	var doc struct {
		Status         string   `json:"status"`
		ExitCode       *int     `json:"exit_code"`
		MhagoConf      string   `json:"mhago_conf"`
		CandidateOrder []string `json:"candidate_order"`
		Notes          []struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"notes"`
		Servers []struct {
			Block string `json:"block"`
		} `json:"servers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not one JSON document: %v", err)
	}
	if doc.Status != "ok" || doc.ExitCode == nil || *doc.ExitCode != 0 || doc.MhagoConf != filepath.Join(dir, "app1.mhago.cnf") ||
		strings.Join(doc.CandidateOrder, " ") != "server2 server1" || len(doc.Servers) != 3 {
		t.Fatalf("document: %+v", doc)
	}
	if len(doc.Notes) != 1 || doc.Notes[0].Line != 3 || !strings.HasSuffix(doc.Notes[0].File, "global.cnf") {
		t.Fatalf("want the -q note at global.cnf:3, got %+v", doc.Notes)
	}

	code, out, _ = runCLI(t, "config", "validate", "--conf", conf, "--global-conf", filepath.Join(dir, "global.cnf"))
	if code != 0 || !strings.Contains(out, "OK: 3 server(s)") || !strings.Contains(out, "candidate order: server2, server1") ||
		!strings.Contains(out, "note: "+filepath.Join(dir, "global.cnf")+":3:") {
		t.Fatalf("text output, exit %d:\n%s", code, out)
	}
}

func TestConfigValidateInvalid(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"app1.cnf": "[server default]\nping_type=PONG\n[server1]\nhostname=127.0.0.1\n[server2]\nhostname=127.0.0.1\nport=3307\n",
	})
	conf := filepath.Join(dir, "app1.cnf")
	code, out, _ := runCLI(t, "config", "validate", "--conf", conf, "--json")
	var doc struct {
		Status   string `json:"status"`
		ExitCode int    `json:"exit_code"`
		Problems []struct {
			File string `json:"file"`
			Line int    `json:"line"`
			Key  string `json:"key"`
			Fix  string `json:"fix"`
		} `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not one JSON document: %v", err)
	}
	if code != exitConfig || doc.ExitCode != exitConfig || doc.Status != "invalid" || len(doc.Problems) != 1 ||
		doc.Problems[0].File != conf || doc.Problems[0].Line != 2 || doc.Problems[0].Key != "ping_type" || doc.Problems[0].Fix == "" {
		t.Fatalf("exit %d, document %+v", code, doc)
	}
	code, out, _ = runCLI(t, "config", "validate", "--conf", conf)
	if code != exitConfig || !strings.Contains(out, "problem: "+conf+":2:") || !strings.Contains(out, "INVALID: 1 problem(s)") {
		t.Fatalf("text output, exit %d:\n%s", code, out)
	}
	if code, _, _ = runCLI(t, "config", "validate"); code != exitConfig {
		t.Fatalf("no --conf: exit %d, want %d", code, exitConfig)
	}
}
