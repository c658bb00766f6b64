package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhago/mhago/hooks"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeClock makes now() advance by step on each call.
func fakeClock(t *testing.T, step time.Duration) {
	t.Helper()
	cur := t0
	var mu sync.Mutex
	now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		cur = cur.Add(step)
		return cur
	}
	t.Cleanup(func() { now = time.Now })
}

var (
	deadRef = HostRef{Name: "db1", IP: "10.0.0.1", Port: 3306}
	newRef  = HostRef{Name: "db2", IP: "10.0.0.2", Port: 3306}
)

const secretPW = "s3cretPW"

func hookArgs(cmd string) []string {
	dead := hooks.Host{Hostname: "db1", IP: "10.0.0.1", Port: 3306, SSHUser: "root"}
	switch cmd {
	case "start":
		nm := hooks.Host{Hostname: "db2", IP: "10.0.0.2", Port: 3306, SSHUser: "root"}
		return append(hooks.FailoverStartArgs(dead, nm, "mha"), "--new_master_password="+secretPW)
	case "shutdown":
		return hooks.ShutdownArgs(dead, true, "")
	}
	return hooks.FailoverStopArgs(dead, true)
}

// sample builds the report of a non-GTID failover db1 -> db2 with replicas
// db3 (recovered) and db4 (status given).
func sample(t *testing.T, outcome, db4Status string) *Report {
	t.Helper()
	fakeClock(t, 250*time.Millisecond)
	r := New("app1", "/etc/mha/app1.cnf", "r-42", ModeFailover, now())
	r.SetDeadMaster("db1", "10.0.0.1:3306")
	r.ManagerHost, r.LogPath = "mgr1", "/var/log/mhago/app1.log"
	r.SetLock("mhago:app1:failover", 42, "mgr1:1234")
	r.AddSecret(secretPW)

	p := r.StartPhase("Phase 1: Configuration Check")
	p.End(nil)
	p = r.StartPhase("Phase 2: Dead Master Shutdown")
	r.AddHook(hooks.Result{Name: hooks.IPFailoverScript, Path: "/opt/ip.sh", Args: hookArgs("stop"), Duration: time.Second})
	r.AddHook(hooks.Result{Name: hooks.ShutdownScript, Path: "/opt/power.sh", Args: hookArgs("shutdown"), ExitCode: 10})
	p.End(nil)
	r.PointOfNoReturnPassed = true

	p = r.StartPhase("Phase 3: Master Recovery")
	r.SetElection("db2", "candidate_master", map[string]string{
		"db2": "candidate_master, latest", "db3": "behind db2 by 1234 bytes", "db4": "no_master=1"})
	r.Election.Latest = "db2"
	r.SetNewMaster("db2", "10.0.0.2:3306")
	nm := r.HostResult("db2", "10.0.0.2:3306", RoleReplica)
	nm = r.HostResult("db2", "", RoleNewMaster)
	r.HostResult("db2", "", RoleReplica) // a new master stays one
	nm.Recovered()
	nm.Before = Position{File: "mysql-bin.000003", Pos: 1234}
	nm.After = Position{File: "mysql-bin.000001", Pos: 456}
	nm.AddDiff(Diff{Kind: DiffMasterBinlog, From: "db1", Bytes: 300, Events: 6, Transactions: 2})
	nm.Applied(100, 2, 1)
	nm.Applied(200, 4, 1)
	r.AddHook(hooks.Result{Name: hooks.IPFailoverScript, Path: "/opt/ip.sh", Args: hookArgs("start"),
		Output: "Enabling VIP with --new_master_password=" + secretPW + " done\n"})
	p.Note("saved 300 bytes of the dead master's binlog")
	p.End(nil)

	p = r.StartPhase("Phase 4: Slaves Recovery")
	rep := r.HostResult("db3", "10.0.0.3:3306", RoleReplica)
	rep.Before = Position{File: "mysql-bin.000003", Pos: 1000}
	rep.AddDiff(Diff{Kind: DiffRead, From: "db2", Bytes: 234, Events: 4, Transactions: 1, FirstGTID: "0-1-10", LastGTID: "0-1-10"})
	rep.Applied(234, 0, 0)
	rep.Recovered()
	bad := r.HostResult("db4", "10.0.0.4:3306", RoleReplica)
	bad.Before = Position{File: "mysql-bin.000002", Pos: 99}
	var err error
	switch db4Status {
	case HostFailed:
		bad.Fail(errors.New("Applying logs failed."))
		err = errors.New("db4: apply diff: exit code 1")
	case HostSkipped:
		bad.Skip("unreachable")
	default:
		bad.Recovered()
	}
	p.End(err)
	r.Finish(now(), outcome, nil)
	return r
}

func assertLines(t *testing.T, text string, want ...string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			if norm(l) == norm(w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no line %q in:\n%s", w, text)
		}
	}
}

// norm collapses runs of blanks, so table rows compare without padding.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestTextSuccess(t *testing.T) {
	r := sample(t, OutcomeSuccess, HostRecovered)
	text := Text(r)
	lines := strings.Split(text, "\n")
	if lines[0] != Banner || lines[2] != "app1: MySQL Master failover db1(10.0.0.1:3306) to db2(10.0.0.2:3306) succeeded" {
		t.Fatalf("head is not banner + subject:\n%s", strings.Join(lines[:4], "\n"))
	}
	assertLines(t, text,
		"Master db1(10.0.0.1:3306) is down!",
		"Check mhago logs at mgr1:/var/log/mhago/app1.log for details.",
		"Started automated(non-interactive) failover.",
		"Invalidated master IP address on db1(10.0.0.1:3306)",
		"SSH reachable on db1. Shutting down mysqld done.",
		"The latest slave db2(10.0.0.2:3306) has all relay logs for recovery.",
		"Selected db2(10.0.0.2:3306) as a new master.",
		"db2(10.0.0.2:3306): OK: Applying all logs succeeded.",
		"db2(10.0.0.2:3306): OK: Activated master IP address.",
		"db3(10.0.0.3:3306): OK: Applying all logs succeeded. Slave started, replicating from db2(10.0.0.2:3306)",
		"Master failover to db2(10.0.0.2:3306) completed successfully.",
		"Outcome:   success",
		"Point of no return: passed: the cluster was changed",
		"Lock:      mhago:app1:failover (fence 42, holder mgr1:1234)",
		"Election: chose db2 by rule: candidate_master (latest slave db2)",
		"db4: no_master=1",
		"db3: read diff from db2: 234 bytes, 4 events, 1 trx, gtid 0-1-10 .. 0-1-10",
		"[Phase 3: Master Recovery] saved 300 bytes of the dead master's binlog",
		"Phase 2: Dead Master Shutdown ok 250ms",
		"HOST ROLE STATUS BEFORE AFTER APPLIED",
		"db2(10.0.0.2:3306) new_master recovered mysql-bin.000003:1234 mysql-bin.000001:456 300 bytes, 6 events, 2 trx",
	)
	for _, want := range []string{
		"shutdown_script exit=10 (0s): /opt/power.sh --command=stopssh --ssh_user=root --host=db1",
		"--new_master_user=mha --new_master_password=xxx",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "OPERATOR ACTION") {
		t.Errorf("a successful run asks for operator action:\n%s", text)
	}
	// MHA's order: fencing, election, new master, replicas, final line.
	order := []string{"is down!", "Invalidated master IP", "Selected db2", "Activated master IP", "db3(10.0.0.3:3306): OK", "completed successfully"}
	last := -1
	for _, s := range order {
		i := strings.Index(text, s)
		if i <= last {
			t.Fatalf("%q is out of MHA's order in:\n%s", s, text)
		}
		last = i
	}
}

func TestLostAfterBoundsTheLoss(t *testing.T) {
	r := sample(t, OutcomeSuccess, HostRecovered)
	r.LostAfter("db1", "mysql-bin.000003", 1234, "db1 is unreachable over SSH")
	if r.Lost == nil || *r.Lost != (Lost{Host: "db1", File: "mysql-bin.000003", Pos: 1234, Why: "db1 is unreachable over SSH"}) {
		t.Fatalf("Lost = %+v", r.Lost)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"lost":{"host":"db1","file":"mysql-bin.000003","pos":1234,`) {
		t.Fatalf("JSON lacks the lost bound: %s", b)
	}
	assertLines(t, Text(r), "- dead master's binlog after mysql-bin.000003:1234: db1 is unreachable over SSH; transactions it wrote but no replica received are lost")
}

func TestTextFailedAfterPointOfNoReturn(t *testing.T) {
	r := sample(t, OutcomePartial, HostFailed)
	r.Unrecoverable("dead master's binlog after mysql-bin.000003:1234: SSH unreachable")
	text := Text(r)
	assertLines(t, text,
		"db4(10.0.0.4:3306): ERROR: Applying logs failed.",
		"Master failover to db2(10.0.0.2:3306) done, but recovery on slave partially failed.",
		"OPERATOR ACTION REQUIRED:",
		"- dead master's binlog after mysql-bin.000003:1234: SSH unreachable",
		"Phase 4: Slaves Recovery failed 250ms db4: apply diff: exit code 1",
	)
	for _, want := range []string{
		"app1: MySQL Master failover db1(10.0.0.1:3306) to db2(10.0.0.2:3306) partially failed (some replica not recovered)\n",
		"New master db2(10.0.0.2:3306) is active; its position after recovery is mysql-bin.000001:456.",
		"db4(10.0.0.4:3306) was not recovered (Applying logs failed.); it is at mysql-bin.000002:99.",
		"Keep db1(10.0.0.1:3306) fenced",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// TestActionsPartialAndNoIPHook: a partial failover finished its run, so
// its actions name the replicas left, not --resume; without
// master_ip_failover_script no action blames it.
func TestActionsPartialAndNoIPHook(t *testing.T) {
	r := sample(t, OutcomePartial, HostFailed)
	acts := strings.Join(r.OperatorActions(), "\n")
	if strings.Contains(acts, "--resume") || !strings.Contains(acts, "db4(10.0.0.4:3306) was not recovered") {
		t.Errorf("partial: want the replica left and no --resume:\n%s", acts)
	}
	if strings.Contains(acts, "did not succeed") {
		t.Errorf("the start hook succeeded, yet an action says it did not:\n%s", acts)
	}
	r.Hooks = slices.DeleteFunc(r.Hooks, func(hk hooks.Result) bool { c, _ := hooks.ArgValue(hk.Args, "command"); return c == "start" })
	if acts := strings.Join(r.OperatorActions(), "\n"); !strings.Contains(acts, "master_ip_failover_script --command=start did not succeed") {
		t.Errorf("the stop hook ran and start never did: the endpoint action is missing:\n%s", acts)
	}
	r.Hooks = slices.DeleteFunc(r.Hooks, func(hk hooks.Result) bool { return hk.Name == hooks.IPFailoverScript })
	if acts := strings.Join(r.OperatorActions(), "\n"); strings.Contains(acts, "master_ip_failover_script") {
		t.Errorf("no master_ip_failover_script configured, yet an action names it:\n%s", acts)
	}
	r.Outcome = OutcomeFailed
	if acts := strings.Join(r.OperatorActions(), "\n"); !strings.Contains(acts, "--resume") {
		t.Errorf("failed after the point of no return: --resume missing:\n%s", acts)
	}
}

func TestSubjectAndFinalLine(t *testing.T) {
	fakeClock(t, time.Millisecond)
	tests := []struct {
		name      string
		outcome   string
		mode      string
		newMaster *HostRef
		nmStatus  string
		subject   string
		final     string
	}{
		{"refused", OutcomeRefused, ModeFailover, nil, "", "app1: MySQL Master failover db1(10.0.0.1:3306) refused (nothing changed)",
			"Failover refused, nothing was changed: boom"},
		{"aborted", OutcomeAborted, ModeFailover, nil, "", "app1: MySQL Master failover db1(10.0.0.1:3306) aborted (nothing changed)",
			"Got Error so couldn't continue failover from here (the cluster was not changed): boom"},
		{"failed before activation", OutcomeFailed, ModeFailover, &newRef, HostFailed,
			"app1: MySQL Master failover db1(10.0.0.1:3306) FAILED after the point of no return", "Got Error so couldn't continue failover from here. boom"},
		{"failed after activation", OutcomeFailed, ModeFailover, &newRef, HostRecovered,
			"app1: MySQL Master failover db1(10.0.0.1:3306) to db2(10.0.0.2:3306) FAILED after the point of no return", "Got Error so couldn't continue failover from here. boom"},
		{"interrupted", OutcomeInterrupted, ModeFailover, nil, "", "app1: MySQL Master failover db1(10.0.0.1:3306) interrupted",
			"Got Error so couldn't continue failover from here. boom"},
		{"dry run", OutcomePlanned, ModeDryRun, &newRef, HostPlanned,
			"app1: MySQL Master failover db1(10.0.0.1:3306) to db2(10.0.0.2:3306) (dry run, nothing changed)",
			"Dry run finished: would fail over to db2(10.0.0.2:3306). Nothing was changed."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New("app1", "c", "r", tc.mode, now())
			r.DeadMaster = deadRef
			r.NewMaster = tc.newMaster
			if tc.nmStatus != "" {
				r.HostResult("db2", "", RoleNewMaster).Status = tc.nmStatus
			}
			var err error
			if tc.outcome != OutcomePlanned {
				err = errors.New("boom")
			}
			r.Finish(now(), tc.outcome, err)
			if got := Subject(r); got != tc.subject {
				t.Errorf("Subject = %q, want %q", got, tc.subject)
			}
			body := Body(r)
			if !strings.HasSuffix(body, tc.final+"\n") {
				t.Errorf("body does not end with %q:\n%s", tc.final, body)
			}
		})
	}
}

func TestReportScriptArgs(t *testing.T) {
	r := sample(t, OutcomePartial, HostFailed)
	args := r.ReportScriptArgs()
	if args[0] != "--orig_master_host=db1" || args[1] != "--new_master_host=db2" || args[2] != "--new_slave_hosts=db3" ||
		args[3] != "--conf=/etc/mha/app1.cnf" {
		t.Fatalf("args = %q", args)
	}
	if v, _ := hooks.ArgValue(args, "subject"); v != Subject(r) {
		t.Fatalf("subject arg %q", v)
	}
	r2 := New("app1", "c", "r", ModeFailover, now())
	r2.SetDeadMaster("db1", "10.0.0.1:3306")
	r2.Finish(now(), OutcomeAborted, errors.New("x"))
	if got := r2.ReportScriptArgs(); len(got) != 4 || got[1] != "--conf=c" {
		t.Fatalf("args before activation = %q", got)
	}
}

func TestNoSecretsInWrittenReport(t *testing.T) {
	r := sample(t, OutcomeFailed, HostFailed)
	// Secrets arriving by every path a caller might use by mistake.
	r.AddHook(hooks.Result{Name: "custom", Args: []string{"--orig_master_password=" + secretPW + "2"},
		Err: "exec failed: --password=" + secretPW + "3"})
	r.Note("connected with password " + secretPW)
	r.Error = "CHANGE MASTER TO MASTER_PASSWORD='" + secretPW + "' failed"
	r.HostResult("db4", "", "").Error = "mysql -pX --password=" + secretPW + "4 exited 1"
	r.Election.Reasons["db4"] = "secret " + secretPW
	for i, h := range r.Hooks {
		if strings.Contains(strings.Join(h.Args, " "), secretPW) {
			t.Fatalf("AddHook kept a password in hook %d args: %q", i, h.Args)
		}
	}
	dir := t.TempDir()
	jp, tp, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{jp, tp, filepath.Join(dir, "app1.failover.last.json"), filepath.Join(dir, "app1.failover.last.txt")} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secretPW) {
			t.Errorf("%s contains the secret:\n%s", p, b)
		}
		if !strings.Contains(string(b), "password=xxx") {
			t.Errorf("%s shows no redacted password", p)
		}
	}
	for _, s := range append(r.ReportScriptArgs(), Body(r), Subject(r)) {
		if strings.Contains(s, secretPW) {
			t.Errorf("report_script argument contains the secret: %q", s)
		}
	}
	if r.Notes[0] != "connected with password "+secretPW {
		t.Error("Write modified the caller's report")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sample(t, OutcomeSuccess, HostRecovered)
	jp, _, err := Write(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want, err := r.Sanitized()
	if err != nil {
		t.Fatal(err)
	}
	want.scrubber = nil
	if !reflect.DeepEqual(&got, want) {
		gj, _ := json.Marshal(&got)
		wj, _ := json.Marshal(want)
		t.Fatalf("round trip differs:\n got %s\nwant %s", gj, wj)
	}
	if got.Hosts[1].Diffs[0].FirstGTID != "0-1-10" || got.Phases[1].Duration != 250*time.Millisecond || got.Hooks[1].ExitCode != 10 {
		t.Fatalf("fields lost: %+v", &got)
	}
	for _, key := range []string{`"run_id": "r-42"`, `"point_of_no_return_passed": true`, `"applied_bytes": 300`,
		`"new_master": {`, `"duration_ns": 250000000`, `"first_gtid": "0-1-10"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestWriteAtomicFilesAndMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports") // created by Write
	r := sample(t, OutcomeSuccess, HostRecovered)
	jp, tp, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	wantBase := filepath.Join(dir, "app1.failover."+r.Started.Format("20060102-150405")+".r-42")
	if jp != wantBase+".json" || tp != wantBase+".txt" {
		t.Fatalf("paths %s %s, want base %s", jp, tp, wantBase)
	}
	r2 := sample(t, OutcomeAborted, HostSkipped)
	r2.RunID = "r-43"
	jp2, _, err := Write(dir, r2)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
		if strings.Contains(e.Name(), "tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if len(names) != 6 {
		t.Fatalf("files %q, want 2 runs x 2 + 2 last copies", names)
	}
	last, _ := os.ReadFile(filepath.Join(dir, "app1.failover.last.json"))
	second, _ := os.ReadFile(jp2)
	if string(last) != string(second) {
		t.Fatal("last.json is not the latest run's report")
	}
	lastTxt, _ := os.ReadFile(filepath.Join(dir, "app1.failover.last.txt"))
	if !strings.HasPrefix(string(lastTxt), Banner+"\n\n") {
		t.Fatalf("last.txt does not start with the banner: %.80q", lastTxt)
	}
}

func TestWriteFailsOnUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "notadir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := New("app1", "c", "r", ModeFailover, now())
	r.Finish(now(), OutcomeAborted, nil)
	if _, _, err := Write(file, r); err == nil || !strings.Contains(err.Error(), "notadir") {
		t.Fatalf("err = %v, want one naming the directory", err)
	}
}

func TestFileNameIsSafe(t *testing.T) {
	fakeClock(t, time.Second)
	r := New("../evil", "c", "a/b", ModeFailover, now())
	got := fileBase(r)
	if strings.Contains(got, "/") {
		t.Fatalf("fileBase = %q contains a slash", got)
	}
}

func TestPhasesAndFinish(t *testing.T) {
	fakeClock(t, time.Second)
	r := New("app1", "c", "r", ModeFailover, now()) // started at t0+1s
	ok := r.StartPhase("a")                         // t0+2s
	ok.End(nil)                                     // t0+3s
	bad := r.StartPhase("b")
	bad.End(errors.New("no route to host"))
	sk := r.StartPhase("c")
	sk.Skip("GTID mode")
	cut := r.StartPhase("d") // t0+8s
	r.Finish(now(), OutcomeInterrupted, errors.New("signal: terminated"))
	want := []struct{ status, err string }{{PhaseOK, ""}, {PhaseFailed, "no route to host"}, {PhaseSkipped, ""}, {PhaseInterrupted, ""}}
	for i, p := range r.Phases {
		if p.Status != want[i].status || p.Error != want[i].err || p.Duration != time.Second {
			t.Errorf("phase %s = %+v, want %+v and 1s", p.Name, p, want[i])
		}
	}
	if sk.Notes[0] != "GTID mode" || cut.Status != PhaseInterrupted || r.Error != "signal: terminated" {
		t.Fatalf("report %+v", r)
	}
	if acts := r.OperatorActions(); len(acts) != 1 || !strings.Contains(acts[0], "Nothing was changed") {
		t.Fatalf("actions before the point of no return: %q", acts)
	}
}

func TestConcurrentHelpers(t *testing.T) {
	r := New("app1", "c", "r", ModeFailover, time.Now())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Like phase 4: one goroutine per host, all sharing the report.
			r.HostResult(fmt.Sprintf("db%d", i), "", RoleReplica).Applied(1, 1, 1)
			r.HostResult("db0", "", "") // lookups of another goroutine's host are fine
			r.AddHook(hooks.Result{Name: "x"})
			r.Note(fmt.Sprintf("n%d", i))
			r.Unrecoverable("u")
			r.StartPhase("p").End(nil)
		}()
	}
	wg.Wait()
	if len(r.Hosts) != 8 || len(r.Hooks) != 8 || len(r.Notes) != 8 || len(r.Phases) != 8 || len(r.Unsaved) != 8 {
		t.Fatalf("hosts %d hooks %d notes %d phases %d", len(r.Hosts), len(r.Hooks), len(r.Notes), len(r.Phases))
	}
}

func TestWriteUnfinishedIsInterrupted(t *testing.T) {
	fakeClock(t, time.Second)
	r := New("app1", "c", "r", ModeFailover, now())
	r.SetDeadMaster("db1", "10.0.0.1:3306")
	r.StartPhase("Phase 2: Dead Master Shutdown")
	r.PointOfNoReturnPassed = true
	jp, tp, err := Write(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	b, _ := os.ReadFile(jp)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Outcome != OutcomeInterrupted || got.Finished.IsZero() || got.Phases[0].Status != PhaseInterrupted {
		t.Fatalf("outcome %q finished %v phase %q", got.Outcome, got.Finished, got.Phases[0].Status)
	}
	if r.Outcome != "" || r.Phases[0].Status != PhaseRunning {
		t.Fatal("Write modified the caller's report")
	}
	txt, _ := os.ReadFile(tp)
	assertLines(t, string(txt), "Got Error so couldn't continue failover from here.", "OPERATOR ACTION REQUIRED:",
		"- No new master was chosen, so writes are unavailable. Pick the most advanced replica from the Hosts table (BEFORE column), apply what it lacks, and promote it.")
}

func TestDryRunBody(t *testing.T) {
	fakeClock(t, time.Second)
	r := New("app1", "/etc/app1.cnf", "r-9", ModeDryRun, now())
	r.SetDeadMaster("db1", "10.0.0.1:3306")
	r.SetNewMaster("db2", "10.0.0.2:3306")
	r.HostResult("db2", "10.0.0.2:3306", RoleNewMaster).AddDiff(Diff{Kind: DiffMasterBinlog, From: "db1", Bytes: 50, Events: 2, Transactions: 1})
	h := r.HostResult("db3", "10.0.0.3:3306", RoleReplica) // status left empty, as phases leaves it
	h.AddDiff(Diff{Kind: DiffExec, From: "db3", Bytes: 100, Events: 3, Transactions: 1})
	h.AddDiff(Diff{Kind: DiffRead, From: "db2", Bytes: 10, Events: 1, Transactions: 0})
	r.SkipPhase("4 replica recovery", "dry run")
	r.Finish(now(), OutcomePlanned, nil)
	text := Text(r)
	assertLines(t, text,
		"Started dry run (nothing is changed).",
		"db2(10.0.0.2:3306): PLAN: apply 50 bytes (2 events, 1 transactions) in 1 diffs",
		"db3(10.0.0.3:3306): PLAN: apply 110 bytes (4 events, 1 transactions) in 2 diffs, then replicate from db2(10.0.0.2:3306)",
		"Dry run finished: would fail over to db2(10.0.0.2:3306). Nothing was changed.",
		"4 replica recovery skipped 1s",
		"[4 replica recovery] dry run",
		"Point of no return: not passed: the cluster was not changed",
	)
	if strings.Contains(text, "ERROR") || strings.Contains(text, "OPERATOR ACTION") {
		t.Fatalf("dry run reports an error or asks for action:\n%s", text)
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimRight(l, " ") != l {
			t.Errorf("trailing blanks in %q", l)
		}
	}
}

func TestUntouchedReplicas(t *testing.T) {
	fakeClock(t, time.Second)
	for _, ponr := range []bool{false, true} {
		r := New("app1", "c", "r", ModeFailover, now())
		r.SetDeadMaster("db1", "10.0.0.1:3306")
		r.HostResult("db3", "10.0.0.3:3306", RoleReplica).Before = Position{File: "b.1", Pos: 4}
		r.PointOfNoReturnPassed = ponr
		r.Finish(now(), map[bool]string{false: OutcomeAborted, true: OutcomeFailed}[ponr], errors.New("lost"))
		body := Body(r)
		has := strings.Contains(body, "db3(10.0.0.3:3306): ERROR: not recovered: the run stopped before reaching it.")
		if has != ponr {
			t.Errorf("point of no return %v: body mentions untouched db3 = %v:\n%s", ponr, has, body)
		}
	}
}

// A run that did everything but a step whose failure did not stop it
// says exactly that, and what is left, instead of "finish with --resume or
// by hand".
func TestOperatorActionsForWhatIsLeft(t *testing.T) {
	leave := "The VIP was not moved: run `/opt/ip.sh --command=start` by hand once fixed."
	build := func(db4 string) *Report {
		r := sample(t, OutcomeFailed, db4)
		p := r.StartPhase("3.5 new master activation")
		p.End(errors.New("hook failed: master_ip_failover_script exited 1"))
		r.Leave("3.5 new master activation", leave)
		r.Finish(now(), OutcomeFailed, errors.New("failed after the point of no return"))
		return r
	}
	acts := build(HostRecovered).OperatorActions()
	if len(acts) != 3 || !strings.HasPrefix(acts[0], "Everything else is done: db2(10.0.0.2:3306) is the new master") ||
		acts[1] != leave || !strings.Contains(acts[2], "Keep db1(10.0.0.1:3306) fenced") {
		t.Fatalf("actions: %q", acts)
	}
	// Something else failed too: the whole list, with what is left in it.
	acts = build(HostFailed).OperatorActions()
	if strings.HasPrefix(acts[0], "Everything else is done") || !slices.Contains(acts, leave) {
		t.Fatalf("actions with a failed replica: %q", acts)
	}
	for _, a := range acts {
		if strings.Contains(a, "may still point at the dead master") {
			t.Fatalf("the generic VIP line repeats what is left: %q", a)
		}
	}
}

// Secrets are masked in the copy that --json prints, also where JSON
// escaping changes their bytes, and in text the caller put anywhere.
func TestSanitizedMasksEscapedSecrets(t *testing.T) {
	r := New("app1", "c", "r", ModeFailover, time.Now())
	const odd = `we"ird\pw<1>`
	r.AddSecret(odd)
	r.Note("hook said " + odd)
	r.AddHook(hooks.Result{Name: "x", Output: "pw: " + odd + "\n", Args: []string{"--body=" + odd}})
	c, err := r.Sanitized()
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	if strings.Contains(string(js), "ird") || strings.Contains(Text(c), "ird") {
		t.Fatalf("secret in the sanitized report:\n%s", js)
	}
}

// A run refused before it knew the master never prints "(:0)".
func TestRefusedBeforeTheMasterIsKnownNamesNoEmptyHost(t *testing.T) {
	fakeClock(t, time.Millisecond)
	r := New("app1", "/etc/mha/app1.cnf", "r", ModeFailover, now())
	r.Finish(now(), OutcomeRefused, errors.New("a leftover app1.failover.error"))
	for _, s := range []string{Subject(r), Body(r), Text(r)} {
		if strings.Contains(s, "(:0)") || strings.Contains(s, "Master  is") {
			t.Errorf("empty host in:\n%s", s)
		}
	}
	if got, want := Subject(r), "app1: MySQL Master failover (master not identified) refused (nothing changed)"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if !strings.HasPrefix(Body(r), "The run stopped before it identified the master.") {
		t.Errorf("body: %s", Body(r))
	}
}

// The written report names its log and its own files, and shows the
// steps left to finish by hand.
func TestWrittenReportNamesItsFilesAndManualSteps(t *testing.T) {
	fakeClock(t, time.Millisecond)
	dir := t.TempDir()
	r := New("app1", "/etc/mha/app1.cnf", "run1", ModeFailover, now())
	r.DeadMaster = deadRef
	r.LogPath = "/var/log/mhago/app1.log"
	r.ManualSteps = []string{"4 replica recovery: on db3 run STOP SLAVE; CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000007', MASTER_LOG_POS=1543;"}
	r.Finish(now(), OutcomeFailed, errors.New("boom"))
	jsonPath, textPath, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile(textPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Log:       /var/log/mhago/app1.log\n", "Report:    " + textPath + " (JSON: " + jsonPath + "; latest: " + filepath.Join(dir, "app1.failover.last.txt") + ")\n",
		"TO FINISH BY HAND:\n  - 4 replica recovery: on db3 run STOP SLAVE; CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000007', MASTER_LOG_POS=1543;\n"} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("text report lacks %q:\n%s", want, txt)
		}
	}
	var back Report
	js, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(js, &back); err != nil || back.Files == nil || back.Files.JSON != jsonPath || len(back.ManualSteps) != 1 {
		t.Errorf("JSON report: files %+v, manual steps %v (%v)", back.Files, back.ManualSteps, err)
	}
	if r.Files == nil || r.Files.Text != textPath {
		t.Errorf("the live report does not name its files: %+v", r.Files)
	}
}
