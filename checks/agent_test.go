package checks

import (
	"errors"
	"fmt"
	"github.com/mhago/mhago/agentctl"
	"slices"
	"testing"
)

func TestPlanReplLogins(t *testing.T) {
	type pair struct{ from, to, user, skip string }
	tests := []struct {
		name   string
		mutate func(in *Input)
		master string
		want   []pair
	}{
		{name: "every replica to every other candidate", master: "server1",
			want: []pair{{"server3", "server2", "repl", ""}, {"server2", "server3", "repl", ""}}},
		{name: "no_master is a source, not a target", master: "server1",
			mutate: func(in *Input) { in.Hosts[2].NoMaster = true },
			want:   []pair{{"server3", "server2", "repl", ""}}},
		{name: "log_bin off is no target", master: "server1",
			mutate: func(in *Input) { in.Hosts[1].Status.LogBin = false },
			want:   []pair{{"server2", "server3", "repl", ""}}},
		{name: "a candidate down is neither", master: "server1",
			mutate: func(in *Input) { in.Hosts[1].Status, in.Hosts[1].SQLErr = nil, errRefused },
			want:   nil},
		{name: "a replica without agent logs in from nowhere", master: "server1",
			mutate: func(in *Input) { in.Hosts[2].SSH.Workdir.Agent = &AgentObs{NoExec: true, Err: "exit 126"} },
			want:   []pair{{"server2", "server3", "repl", ""}}},
		{name: "ssh skipped on a replica", master: "server1",
			mutate: func(in *Input) { in.Hosts[1].SSH = nil },
			want:   []pair{{"server3", "server2", "repl", ""}}},
		{name: "repl_user unset: the replica's Master_User", master: "server1",
			mutate: func(in *Input) {
				in.Hosts[1].ReplUser, in.Hosts[2].ReplUser = "", ""
				in.Hosts[1].Status.Replica.MasterUser = "repl_a"
			},
			want: []pair{{"server3", "server2", "repl", ""}, {"server2", "server3", "repl_a", ""}}},
		{name: "no user known", master: "server1",
			mutate: func(in *Input) {
				in.Hosts[1].ReplUser, in.Hosts[1].Status.Replica.MasterUser = "", ""
				in.Hosts[2].ReplUser, in.Hosts[2].Status.Replica.MasterUser = "", ""
			},
			want: []pair{{"server3", "server2", "", "no repl_user is set and server3 shows no Master_User"},
				{"server2", "server3", "", "no repl_user is set and server2 shows no Master_User"}}},
		{name: "the new master's repl_password decides", master: "server1",
			mutate: func(in *Input) { in.Hosts[1].ReplPasswordSet = false },
			want:   []pair{{"server3", "server2", "repl", skipNoReplPassword}, {"server2", "server3", "repl", ""}}},
		{name: "the master is neither", master: "server2",
			want: []pair{{"server3", "server1", "repl", ""}, {"server1", "server3", "repl", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := cluster()
			if tc.master == "server2" {
				// server1 is a replica of server2 here.
				in.Hosts[0].Status.Replica = in.Hosts[2].Status.Replica
				in.Hosts[1].Status.Replica = nil
			}
			if tc.mutate != nil {
				tc.mutate(&in)
			}
			var got []pair
			for _, l := range PlanReplLogins(in, tc.master) {
				got = append(got, pair{l.From, l.To, l.User, l.Skip})
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("plan = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestAgentFailed pins how a failed push or first call is classified, with
// the error texts agentctl and remote produce.
func TestAgentFailed(t *testing.T) {
	tests := []struct {
		name            string
		err             error
		noExec, noSpace bool
	}{
		{"noexec mount", fmt.Errorf("deploy to server3: %w: /var/tmp on root@10.0.0.3:22", agentctl.ErrNoExec), true, false},
		{"disk full", fmt.Errorf("upload agent to root@10.0.0.3:22 (server3):/var/tmp/x: %w", agentctl.ErrNoSpace), false, true},
		{"exit 126 text alone is not noexec", errors.New("agent version on root@10.0.0.3:22 (server3): exit 126"), false, false},
		{"other", errors.New("verify agent on root@10.0.0.3:22 (server3): sha256 \"\", want abc (exit 127: sha256sum: not found)"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := agentFailed(tc.err)
			if a.NoExec != tc.noExec || a.NoSpace != tc.noSpace || a.Err != tc.err.Error() || a.Ready() {
				t.Fatalf("agentFailed = %+v, want noexec %v nospace %v", a, tc.noExec, tc.noSpace)
			}
		})
	}
}

func TestReportWorkdirAndLogins(t *testing.T) {
	in := cluster()
	in.Hosts[1].SSH.Workdir.Agent = &AgentObs{NoExec: true, Err: "exit 126"}
	in.Hosts[2].SSH.Workdir = WorkdirObs{Path: "/gone", Missing: true}
	in.ReplLogins = []ReplLoginObs{
		{From: "server2", To: "server3", User: "repl", OK: true},
		{From: "server3", To: "server2", User: "repl", ErrorCode: 1045, Message: "ERROR 1045"},
		{From: "server4", To: "server2", Skip: skipNoReplPassword},
		{From: "server2", To: "server4", Unsupported: true},
		{From: "server3", To: "server4", Err: "connection lost"},
	}
	in.Manager.WorkdirMissing = true
	rep := BuildReport(in, Evaluate(in))
	w0, w1, w2 := rep.Hosts[0].RemoteWorkdir, rep.Hosts[1].RemoteWorkdir, rep.Hosts[2].RemoteWorkdir
	if w0 == nil || !w0.Exists || !w0.Writable || w0.Agent != "ok" || w0.FreeBytes == nil || *w0.FreeBytes != 20<<30 || w0.Decoder == "" {
		t.Errorf("server1 workdir %+v", w0)
	}
	if w1 == nil || !w1.NoExec || w1.Agent != "exit 126" || w1.FreeBytes != nil {
		t.Errorf("server2 workdir %+v", w1)
	}
	if w2 == nil || w2.Exists || w2.Writable || w2.Agent != "skipped" {
		t.Errorf("server3 workdir %+v", w2)
	}
	var results []string
	for _, l := range rep.ReplLogins {
		results = append(results, l.Result)
	}
	if want := []string{"ok", "refused", "skipped", "unsupported", "error"}; !slices.Equal(results, want) {
		t.Errorf("login results %v, want %v", results, want)
	}
	if rep.Manager == nil || rep.Manager.WorkdirState != "missing" || rep.Manager.LogState != "ok" {
		t.Errorf("manager %+v", rep.Manager)
	}
}
