package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/testenv/cluster"
)

// runCLI runs mhago in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"mhago"}, args...), &out, &errb)
	t.Logf("mhago %s => exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// checkJSON runs check --json and decodes the report.
func checkJSON(t *testing.T, conf string) (int, checks.Report) {
	t.Helper()
	code, out, _ := runCLI(t, "check", "--conf", conf, "--json")
	var rep checks.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check --json output is not a report: %v", err)
	}
	if rep.ExitCode != code {
		t.Errorf("report exit_code %d != process exit %d", rep.ExitCode, code)
	}
	return code, rep
}

// failFinding returns the first FAIL finding naming host, or fails the test.
func failFinding(t *testing.T, rep checks.Report, host string) checks.Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Severity == checks.SevFail && f.Host == host {
			return f
		}
	}
	t.Fatalf("no FAIL finding names %s: %+v", host, rep.Findings)
	return checks.Finding{}
}

// rewriteConf writes a copy of the cluster config with one line replaced.
func rewriteConf(t *testing.T, conf string, re, repl string) string {
	t.Helper()
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	out := regexp.MustCompile(re).ReplaceAllString(string(data), repl)
	if out == string(data) {
		t.Fatalf("pattern %q matched nothing in %s", re, conf)
	}
	p := filepath.Join(filepath.Dir(conf), "variant-"+filepath.Base(t.Name())+".cnf")
	if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckIntegration drives `mhago check` against a real 4-host cluster
// through every fault the check must name, from harmless to destructive.
func TestCheckIntegration(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: 40})
	conf := c.ConfigPath()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	t.Run("healthy", func(t *testing.T) {
		code, rep := checkJSON(t, conf)
		if code != exitOK || !rep.Healthy || rep.Status != "ok" || rep.Master != "server1" || len(rep.Hosts) != 4 {
			t.Fatalf("want healthy with master server1 and 4 hosts, got exit %d %+v", code, rep)
		}
		for _, h := range rep.Hosts[1:] {
			if h.Role != "replica" || h.Replica == nil || h.Replica.IORunning != "Yes" || h.SSH != "ok" {
				t.Errorf("host %s: %+v", h.Name, h)
			}
		}
		code, out, _ := runCLI(t, "check", "--conf", conf)
		if code != exitOK || !strings.Contains(out, "healthy") || !strings.Contains(out, "server4") {
			t.Fatalf("table output: exit %d\n%s", code, out)
		}
	})

	t.Run("sql thread stopped", func(t *testing.T) {
		if err := c.StopSQLThread(ctx, 3); err != nil {
			t.Fatal(err)
		}
		code, rep := checkJSON(t, conf)
		if code != exitReplication {
			t.Fatalf("exit %d, want %d", code, exitReplication)
		}
		if f := failFinding(t, rep, "server3"); !strings.Contains(f.Message, "Slave_SQL_Running=No") {
			t.Fatalf("finding %+v", f)
		}
		if err := c.StartSlave(ctx, 3); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("sshd stopped", func(t *testing.T) {
		if err := c.StopSSHD(2); err != nil {
			t.Fatal(err)
		}
		code, rep := checkJSON(t, conf)
		if code != exitSSH {
			t.Fatalf("exit %d, want %d", code, exitSSH)
		}
		if f := failFinding(t, rep, "server2"); !strings.Contains(f.Message, c.IP(2)) {
			t.Fatalf("finding does not name the address: %+v", f)
		}
		if err := c.StartSSHD(2); err != nil {
			t.Fatal(err)
		}
		if code, _ := checkJSON(t, conf); code != exitOK {
			t.Fatalf("after restarting sshd: exit %d", code)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		bad := filepath.Join(c.Dir(), "wrong.password")
		os.WriteFile(bad, []byte("not-the-password\n"), 0o600)
		variant := rewriteConf(t, conf, `(?m)^password_file=.*$`, "password_file="+bad)
		code, rep := checkJSON(t, variant)
		if code != exitLogin {
			t.Fatalf("exit %d, want %d", code, exitLogin)
		}
		if f := failFinding(t, rep, "server1"); !strings.Contains(f.Message, "refused the login") {
			t.Fatalf("finding %+v", f)
		}
	})

	t.Run("config warning on stderr, check still healthy", func(t *testing.T) {
		data, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^password_file=(.*)$`).FindSubmatch(data)
		if m == nil {
			t.Fatal("no password_file in the test config")
		}
		pw, _ := os.ReadFile(string(m[1]))
		loose := filepath.Join(c.Dir(), "loose.password")
		os.WriteFile(loose, pw, 0o644)
		os.Chmod(loose, 0o644)
		variant := rewriteConf(t, conf, `(?m)^password_file=.*$`, "password_file="+loose)
		code, out, stderr := runCLI(t, "check", "--conf", variant, "--json")
		var rep checks.Report
		if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("exit %d, or stdout is not one JSON document:\n%s", code, out)
		}
		if !strings.Contains(stderr, "config warning") || !strings.Contains(stderr, "readable by group or others") {
			t.Fatalf("the loose secret file is not reported on stderr: %q", stderr)
		}
	})

	t.Run("replication filter differs", func(t *testing.T) {
		db, err := c.DB(3)
		if err != nil {
			t.Fatal(err)
		}
		setFilter := func(v string) {
			t.Helper()
			for _, q := range []string{"STOP SLAVE SQL_THREAD", "SET GLOBAL replicate_ignore_db='" + v + "'", "START SLAVE SQL_THREAD"} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s on host 3: %v", q, err)
				}
			}
		}
		setFilter("reports")
		defer setFilter("")
		code, rep := checkJSON(t, conf)
		if code != exitEnvironment {
			t.Fatalf("exit %d, want %d", code, exitEnvironment)
		}
		if f := failFinding(t, rep, "server3"); !strings.Contains(f.Message, "Replicate_Ignore_DB=reports") {
			t.Fatalf("finding %+v", f)
		}
	})

	t.Run("bad config", func(t *testing.T) {
		variant := rewriteConf(t, conf, `(?m)^ping_interval=`, "ping_intervall=")
		code, _, stderr := runCLI(t, "check", "--conf", variant)
		if code != exitConfig || !strings.Contains(stderr, "ping_intervall") || !strings.Contains(stderr, "ping_interval") ||
			!regexp.MustCompile(`\.cnf:\d+`).MatchString(stderr) {
			t.Fatalf("exit %d, want %d with file:line and a suggestion; stderr: %s", code, exitConfig, stderr)
		}
	})

	t.Run("changed host key", func(t *testing.T) {
		if err := c.RotateHostKey(ctx, 4); err != nil {
			t.Fatal(err)
		}
		code, rep := checkJSON(t, conf)
		if code != exitSSH {
			t.Fatalf("exit %d, want %d", code, exitSSH)
		}
		if f := failFinding(t, rep, "server4"); !strings.Contains(f.Message, "HAS CHANGED") {
			t.Fatalf("finding %+v", f)
		}
		// Accepting new keys must never accept a changed one.
		code, _, _ = runCLI(t, "check", "--conf", conf, "--accept-new-host-keys")
		if code != exitSSH {
			t.Fatalf("--accept-new-host-keys accepted a changed key: exit %d", code)
		}
	})

	t.Run("master killed", func(t *testing.T) {
		if err := c.KillMySQL(1); err != nil {
			t.Fatal(err)
		}
		code, rep := checkJSON(t, conf)
		if code != exitMasterUnreachable || rep.Status != string(checks.CatMasterUnreachable) {
			t.Fatalf("exit %d status %s, want %d", code, rep.Status, exitMasterUnreachable)
		}
		if f := failFinding(t, rep, "server1"); !strings.Contains(f.Message, "unreachable") {
			t.Fatalf("finding %+v", f)
		}
	})
}
