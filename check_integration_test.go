package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
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

// TestCheckFailoverReadiness drives what `mhago check` verifies beyond
// replication, against a real cluster: everything a failover needs on the
// hosts and the manager, and that the check itself leaves nothing behind.
func TestCheckFailoverReadiness(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: 44})
	conf := c.ConfigPath()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	workdirs := []string{c.WorkDir(1), c.WorkDir(2), c.WorkDir(3), c.WorkDir(4)}

	// ... but for the agent it leaves cached there, so that a failover
	// does not have to push it.
	t.Run("check leaves remote_workdir as it was", func(t *testing.T) {
		for _, d := range workdirs {
			if err := os.WriteFile(filepath.Join(d, "operator-file"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		before := treeListing(t, workdirs...)
		code, rep := checkJSON(t, conf)
		if code != exitOK || !rep.Healthy {
			t.Fatalf("exit %d, want a healthy cluster: %+v", code, rep.Findings)
		}
		for _, h := range rep.Hosts {
			w := h.RemoteWorkdir
			if w == nil || !w.Exists || !w.Writable || w.Agent != "ok" || w.FreeBytes == nil || *w.FreeBytes == 0 {
				t.Errorf("%s remote_workdir: %+v", h.Name, w)
			}
		}
		if rep.Manager == nil || rep.Manager.WorkdirState != "ok" || rep.Manager.LogState != "ok" {
			t.Errorf("manager: %+v", rep.Manager)
		}
		// server2..4 log in to server2..4: 3 candidates, 2 sources each.
		if len(rep.ReplLogins) != 6 {
			t.Errorf("%d repl logins, want 6: %+v", len(rep.ReplLogins), rep.ReplLogins)
		}
		for _, l := range rep.ReplLogins {
			// "unsupported" while the agent answers bad_request to login.
			if l.Result != "ok" && l.Result != "unsupported" {
				t.Errorf("repl login %+v", l)
			}
		}
		if after := treeListing(t, workdirs...); after != before {
			t.Fatalf("check changed remote_workdir:\nbefore: %s\nafter:  %s", before, after)
		}
		for _, d := range workdirs {
			if cached, _ := filepath.Glob(filepath.Join(d, "mhago-agent-cache", "*", "mhago-agent")); len(cached) != 1 {
				t.Errorf("%s: the agent is not cached once: %v", d, cached)
			}
		}
	})

	t.Run("wrong repl_password", func(t *testing.T) {
		bad := filepath.Join(c.Dir(), "wrong-repl.password")
		os.WriteFile(bad, []byte("not-the-repl-password\n"), 0o600)
		variant := rewriteConf(t, conf, `(?m)^repl_password_file=.*$`, "repl_password_file="+bad)
		code, rep := checkJSON(t, variant)
		if code != exitLogin || rep.Status != string(checks.CatLogin) {
			t.Fatalf("exit %d status %s, want %d mysql_login", code, rep.Status, exitLogin)
		}
		var refused int
		for _, f := range rep.Findings {
			if f.Severity == checks.SevFail && f.Check == "repl_login" {
				refused++
				if !regexp.MustCompile(`^repl user 'repl' cannot log in to server[234] \(127\.0\.\d+\.\d+:3306\) from server[234]: .*1045`).MatchString(f.Message) ||
					!strings.Contains(f.Fix, "repl_password_file") {
					t.Errorf("finding %+v", f)
				}
			}
		}
		if refused != 6 {
			t.Fatalf("%d refused repl logins reported, want 6 (3 candidates x 2 replicas): %+v", refused, rep.Findings)
		}
	})

	t.Run("repl_password not set is a warning", func(t *testing.T) {
		variant := rewriteConf(t, conf, `(?m)^repl_password_file=.*\n`, "")
		code, rep := checkJSON(t, variant)
		if code != exitOK {
			t.Fatalf("exit %d, want %d", code, exitOK)
		}
		if f := findingByCheck(t, rep, checks.SevWarn, "repl_password"); !strings.Contains(f.Message, "not verified") {
			t.Errorf("finding %+v", f)
		}
		for _, l := range rep.ReplLogins {
			if l.Result != "skipped" {
				t.Errorf("login %+v tried without a password to try", l)
			}
		}
	})

	t.Run("wrong password on one replica", func(t *testing.T) {
		variant := rewriteConf(t, conf, `(?m)^\[server3\]$`, "[server3]\npassword=not-the-password")
		code, rep := checkJSON(t, variant)
		if code != exitLogin || rep.Status != string(checks.CatLogin) || rep.Master != "server1" {
			t.Fatalf("exit %d status %s master %q, want %d mysql_login server1", code, rep.Status, rep.Master, exitLogin)
		}
		f := failFinding(t, rep, "server3")
		if f.Category != checks.CatLogin || !strings.Contains(f.Message, "refused the login of user 'mhago'") ||
			!strings.Contains(f.Message, "1045") || !strings.Contains(f.Fix, "[server3])") {
			t.Fatalf("finding %+v", f)
		}
	})

	t.Run("wrong password on the master", func(t *testing.T) {
		variant := rewriteConf(t, conf, `(?m)^\[server1\]$`, "[server1]\npassword=not-the-password")
		code, rep := checkJSON(t, variant)
		if code != exitLogin || rep.Status != string(checks.CatLogin) || rep.Master != "server1" {
			t.Fatalf("exit %d status %s master %q, want %d mysql_login server1", code, rep.Status, rep.Master, exitLogin)
		}
		if f := failFinding(t, rep, "server1"); f.Category != checks.CatLogin || !strings.Contains(f.Message, "the master is alive") {
			t.Fatalf("finding %+v", f)
		}
		// Cron mode must not take a refused login for a dead master.
		code, out, _ := runCLI(t, "check", "--conf", variant, "--failover-if-dead")
		if code != exitLogin || strings.Contains(out, "starting the failover") {
			t.Fatalf("--failover-if-dead: exit %d, want %d without a failover", code, exitLogin)
		}
	})

	t.Run("missing remote_workdir", func(t *testing.T) {
		missing := filepath.Join(c.HostDir(2), "no-such-workdir")
		variant := rewriteConf(t, conf, `(?m)^remote_workdir=`+regexp.QuoteMeta(c.WorkDir(2))+`$`, "remote_workdir="+missing)
		code, rep := checkJSON(t, variant)
		if code != exitEnvironment {
			t.Fatalf("exit %d, want %d", code, exitEnvironment)
		}
		f := failFinding(t, rep, "server2")
		if !strings.Contains(f.Message, "does not exist") || !strings.Contains(f.Fix, "mkdir -p -m 0700 "+missing) {
			t.Fatalf("finding %+v", f)
		}
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("check created %s (stat: %v)", missing, err)
		}
	})

	t.Run("relative or climbing remote_workdir is a config error", func(t *testing.T) {
		for _, dir := range []string{"work", c.HostDir(3) + "/../host3/work"} {
			variant := rewriteConf(t, conf, `(?m)^remote_workdir=`+regexp.QuoteMeta(c.WorkDir(3))+`$`, "remote_workdir="+dir)
			code, _, stderr := runCLI(t, "check", "--conf", variant)
			if code != exitConfig || !regexp.MustCompile(regexp.QuoteMeta(variant)+`:\d+: \[server3\] remote_workdir: `).MatchString(stderr) ||
				!strings.Contains(stderr, "fix:") {
				t.Fatalf("remote_workdir=%s: exit %d, want %d with file:line and a fix; stderr: %s", dir, code, exitConfig, stderr)
			}
		}
	})

	t.Run("noexec remote_workdir", func(t *testing.T) {
		dir := filepath.Join(c.Dir(), "noexec")
		mountTmpfs(t, dir, "noexec")
		variant := rewriteConf(t, conf, `(?m)^remote_workdir=`+regexp.QuoteMeta(c.WorkDir(3))+`$`, "remote_workdir="+dir)
		code, rep := checkJSON(t, variant)
		if code != exitEnvironment {
			t.Fatalf("exit %d, want %d", code, exitEnvironment)
		}
		f := failFinding(t, rep, "server3")
		if f.Check != "agent" || !strings.Contains(f.Message, "noexec") || !strings.Contains(f.Fix, "noexec") {
			t.Fatalf("finding %+v", f)
		}
		if w := rep.Hosts[2].RemoteWorkdir; w == nil || !w.NoExec || !w.Writable {
			t.Errorf("server3 remote_workdir %+v", w)
		}
		if l := treeListing(t, dir); l != dir {
			t.Fatalf("the agent's directory was left behind: %s", l)
		}
	})

	t.Run("unwritable manager_workdir and manager_log", func(t *testing.T) {
		file := filepath.Join(c.Dir(), "a-regular-file")
		os.WriteFile(file, []byte("x"), 0o600)
		ro := filepath.Join(c.Dir(), "ro")
		mountTmpfs(t, ro, "ro")
		created := filepath.Join(c.Dir(), "new-manager")
		for _, tc := range []struct {
			key, value string
			code       int
			sev        checks.Severity
			want       string
		}{
			{"manager_workdir", filepath.Join(file, "manager"), exitEnvironment, checks.SevFail, "not a directory"},
			{"manager_workdir", ro, exitEnvironment, checks.SevFail, "read-only file system"},
			{"manager_log", filepath.Join(ro, "app.log"), exitEnvironment, checks.SevFail, "read-only file system"},
			{"manager_workdir", created, exitOK, checks.SevWarn, "will be created"},
		} {
			variant := rewriteConf(t, conf, `(?m)^`+tc.key+`=.*$`, tc.key+"="+tc.value)
			code, rep := checkJSON(t, variant)
			if code != tc.code {
				t.Fatalf("%s=%s: exit %d, want %d", tc.key, tc.value, code, tc.code)
			}
			if f := findingByCheck(t, rep, tc.sev, tc.key); !strings.Contains(f.Message, tc.value) || !strings.Contains(f.Message, tc.want) || f.Fix == "" {
				t.Fatalf("%s=%s: finding %+v", tc.key, tc.value, f)
			}
		}
		if _, err := os.Stat(created); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("check created manager_workdir %s (stat: %v)", created, err)
		}
	})

	t.Run("no redis_address is a warning", func(t *testing.T) {
		variant := rewriteConf(t, conf, `(?m)^redis_address=.*\n`, "")
		code, rep := checkJSON(t, variant)
		if code != exitOK || rep.Redis != nil {
			t.Fatalf("exit %d redis %+v, want %d and no redis", code, rep.Redis, exitOK)
		}
		const want = "no redis_address: nothing stops a second manager host from failing over at the same time"
		if f := findingByCheck(t, rep, checks.SevWarn, "redis"); f.Message != want {
			t.Errorf("finding %+v", f)
		}
		_, out, _ := runCLI(t, "check", "--conf", variant)
		if !strings.Contains(out, "WARN  redis: "+want) {
			t.Errorf("the table does not show the warning:\n%s", out)
		}
	})

	// Destructive: the master stays dead.
	t.Run("--failover-if-dead without redis_address refuses, exit 9", func(t *testing.T) {
		variant := rewriteConf(t, conf, `(?m)^redis_address=.*\n`, "")
		if err := c.KillMySQL(1); err != nil {
			t.Fatal(err)
		}
		dirs := append([]string{c.ManagerDir()}, workdirs...)
		before := treeListing(t, dirs...)
		code, out, stderr := runCLI(t, "check", "--conf", variant, "--failover-if-dead")
		if code != exitGuard || strings.Contains(out, "starting the failover") ||
			!strings.Contains(stderr, "failover refused: the master is unreachable, but there is no lock to take") || !strings.Contains(stderr, "--no-lock") {
			t.Fatalf("exit %d, want %d with the reason on stderr", code, exitGuard)
		}
		code, out, _ = runCLI(t, "check", "--conf", variant, "--failover-if-dead", "--json")
		var rep checks.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitGuard || rep.ExitCode != exitGuard || rep.Status != string(checks.CatMasterUnreachable) {
			t.Fatalf("--json: exit %d, report exit_code %d status %q (%v), want %d", code, rep.ExitCode, rep.Status, err, exitGuard)
		}
		// With the lock available, an unwritable manager_workdir still
		// refuses: the failover could not write its journal or report.
		file := filepath.Join(c.Dir(), "in-the-way")
		os.WriteFile(file, []byte("x"), 0o600)
		blocked := rewriteConf(t, conf, `(?m)^manager_workdir=.*$`, "manager_workdir="+filepath.Join(file, "manager"))
		code, out, stderr = runCLI(t, "check", "--conf", blocked, "--failover-if-dead")
		if code != exitEnvironment || strings.Contains(out, "starting the failover") || !strings.Contains(stderr, "refusing to fail over: manager_workdir") {
			t.Fatalf("unwritable manager_workdir: exit %d, want %d with the reason on stderr", code, exitEnvironment)
		}
		if after := treeListing(t, dirs...); after != before {
			t.Fatalf("the refused runs changed files:\nbefore: %s\nafter:  %s", before, after)
		}
		// Nothing touched the replicas: they still replicate from the dead
		// master with their SQL threads running.
		for i := 2; i <= 4; i++ {
			st, err := c.SlaveStatus(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			if st["Master_Host"] != c.IP(1) || st["Slave_SQL_Running"] != "Yes" {
				t.Errorf("host %d: Master_Host %s Slave_SQL_Running %s", i, st["Master_Host"], st["Slave_SQL_Running"])
			}
		}
	})
}

// findingByCheck returns the first finding of severity sev for check, or
// fails the test.
func findingByCheck(t *testing.T, rep checks.Report, sev checks.Severity, check string) checks.Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Severity == sev && f.Check == check {
			return f
		}
	}
	t.Fatalf("no %s finding for %s: %+v", sev, check, rep.Findings)
	return checks.Finding{}
}

// treeListing is every path under dirs except manager_log, which every
// mhago run appends to, and the agent cache, which check and a dry run
// keep: it proves a run left nothing else behind.
func treeListing(t *testing.T, dirs ...string) string {
	t.Helper()
	var names []string
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, _ fs.DirEntry, err error) error {
			if filepath.Base(p) == "mhago-agent-cache" {
				return filepath.SkipDir
			}
			if filepath.Base(p) != "app.log" {
				names = append(names, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(names, " ")
}

// mountTmpfs mounts a small tmpfs with opts at dir for the test. It needs
// root; elsewhere the test skips, except under CI=true, where it fails.
func mountTmpfs(t *testing.T, dir, opts string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts+",size=16m,mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs -o %s on %s: %v: %s", opts, dir, err, out)
		}
		t.Skipf("cannot mount a tmpfs here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}
