package decide

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func noDelayCheck() Rules       { r := DefaultRules(); r.CheckReplDelay = false; return r }
func noLatestPriority() Rules   { r := DefaultRules(); r.LatestPriority = false; return r }
func forcing(name string) Rules { r := DefaultRules(); r.NewMaster = name; return r }

type electCase struct {
	name        string
	cs          []Candidate
	rules       Rules
	wantChosen  string
	wantRule    int
	wantReasons map[string]string // exact map when set
	someReasons map[string]string // entries that must be present
}

func TestElectSelectionOrder(t *testing.T) {
	t.Parallel()
	tests := []electCase{
		{
			name:       "all replicas equal, none candidate_master: first in config order (step 2)",
			cs:         topology(t),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 2,
			wantReasons: map[string]string{
				"server3": "lower priority: server2 comes first in config order",
				"server4": "lower priority: server2 comes first in config order",
				"server5": "lower priority: server2 comes first in config order",
				"server6": "lower priority: server2 comes first in config order",
			},
		},
		{
			name:       "latest replica wins when nobody is candidate_master or bad (step 2)",
			cs:         topology(t, on("server4", at("mysql-bin.000010:9000"))),
			rules:      DefaultRules(),
			wantChosen: "server4", wantRule: 2,
			someReasons: map[string]string{
				"server2": "not among the latest replicas: server4 chosen",
				"server6": "not among the latest replicas: server4 chosen",
			},
		},
		{
			name:       "a later binlog file beats a bigger position (step 2)",
			cs:         topology(t, on("server2", at("mysql-bin.000010:900000")), on("server5", at("mysql-bin.000011:4"))),
			rules:      noDelayCheck(),
			wantChosen: "server5", wantRule: 2,
		},
		{
			name: "latest candidate_master wins over an earlier latest replica (step 3)",
			cs: topology(t, on("server3", at("mysql-bin.000010:9000")),
				on("server5", at("mysql-bin.000010:9000"), candidateMaster)),
			rules:      DefaultRules(),
			wantChosen: "server5", wantRule: 3,
			wantReasons: map[string]string{
				"server2": "lower priority: server5 chosen as candidate_master",
				"server3": "lower priority: server5 chosen as candidate_master",
				"server4": "lower priority: server5 chosen as candidate_master",
				"server6": "lower priority: server5 chosen as candidate_master",
			},
		},
		{
			name:       "several latest candidate_masters: first in config order (step 3)",
			cs:         topology(t, on("server3", candidateMaster), on("server5", candidateMaster)),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 3,
			someReasons: map[string]string{
				"server5": "lower priority: server3 comes first in config order",
				"server2": "lower priority: server3 chosen as candidate_master",
			},
		},
		{
			name: "latest candidate_master wins over an earlier non-latest candidate_master (step 3)",
			cs: topology(t, on("server2", candidateMaster),
				on("server4", at("mysql-bin.000010:9000"), candidateMaster)),
			rules:      DefaultRules(),
			wantChosen: "server4", wantRule: 3,
			someReasons: map[string]string{"server2": "not among the latest replicas: server4 chosen"},
		},
		{
			name:       "candidate_master wins over latest when latest_priority=0 (step 4)",
			cs:         topology(t, on("server3", candidateMaster), on("server4", at("mysql-bin.000010:9000"))),
			rules:      noLatestPriority(),
			wantChosen: "server3", wantRule: 4,
			someReasons: map[string]string{
				"server4": "lower priority: server3 chosen as candidate_master",
			},
		},
		{
			name:       "non-latest candidate_master still beats latest non-candidates when latest_priority=1 (step 4)",
			cs:         topology(t, on("server3", candidateMaster), on("server4", at("mysql-bin.000010:9000"))),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 4,
		},
		{
			name: "latest_priority=0 takes the first candidate_master in config order even if not latest (step 4)",
			cs: topology(t, on("server2", candidateMaster),
				on("server4", at("mysql-bin.000010:9000"), candidateMaster)),
			rules:      noLatestPriority(),
			wantChosen: "server2", wantRule: 4,
			someReasons: map[string]string{"server4": "lower priority: server2 comes first in config order"},
		},
		{
			name:       "latest_priority=0 without candidate_master follows config order only (step 6)",
			cs:         topology(t, on("server4", at("mysql-bin.000010:9000"))),
			rules:      noLatestPriority(),
			wantChosen: "server2", wantRule: 6,
			someReasons: map[string]string{
				"server4": "lower priority: server2 comes first in config order",
			},
		},
		{
			name:       "a bad replica disables step 2; first good latest replica wins (step 5)",
			cs:         topology(t, on("server2", noMaster), on("server4", at("mysql-bin.000010:9000"))),
			rules:      DefaultRules(),
			wantChosen: "server4", wantRule: 5,
			wantReasons: map[string]string{
				"server2": "no_master=1",
				"server3": "not among the latest replicas: server4 chosen",
				"server5": "not among the latest replicas: server4 chosen",
				"server6": "not among the latest replicas: server4 chosen",
			},
		},
		{
			name: "no_master latest replica is skipped for the next latest replica (step 5)",
			cs: topology(t, on("server3", at("mysql-bin.000010:9000"), noMaster),
				on("server4", at("mysql-bin.000010:9000"))),
			rules:      DefaultRules(),
			wantChosen: "server4", wantRule: 5,
		},
		{
			name: "bad candidate_master is skipped for the next candidate_master (step 3)",
			cs: topology(t, on("server3", candidateMaster, noLogBin),
				on("server5", candidateMaster)),
			rules:      DefaultRules(),
			wantChosen: "server5", wantRule: 3,
			someReasons: map[string]string{"server3": "log_bin is OFF"},
		},
		{
			name: "all candidate_masters bad: falls back to the latest replicas (step 5)",
			cs: topology(t, on("server3", candidateMaster, noMaster),
				on("server6", at("mysql-bin.000010:9000"))),
			rules:      DefaultRules(),
			wantChosen: "server6", wantRule: 5,
			someReasons: map[string]string{"server3": "no_master=1", "server2": "not among the latest replicas: server6 chosen"},
		},
		{
			name:       "all latest replicas bad: first good replica in config order (step 6)",
			cs:         topology(t, on("server4", at("mysql-bin.000010:9000"), noLogBin)),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 6,
			wantReasons: map[string]string{
				"server3": "lower priority: server2 comes first in config order",
				"server4": "log_bin is OFF",
				"server5": "lower priority: server2 comes first in config order",
				"server6": "lower priority: server2 comes first in config order",
			},
		},
		{
			name:       "dead replica is neither latest nor chosen, and is not a bad candidate (step 2)",
			cs:         topology(t, on("server4", at("mysql-bin.000010:9000"), down)),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 2,
			someReasons: map[string]string{"server4": "not alive"},
		},
		{
			name:       "dead candidate_master does not count as a candidate (step 2)",
			cs:         topology(t, on("server3", candidateMaster, down)),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 2,
		},
		{
			name:       "config order comes from Order, not from the slice position",
			cs:         topology(t, on("server2", order(9)), on("server5", order(0))),
			rules:      DefaultRules(),
			wantChosen: "server5", wantRule: 2,
		},
		{
			name:       "numeric file order: mysql-bin.1000000 is after mysql-bin.999999",
			cs:         topology(t, on("server2", at("mysql-bin.999999:900")), on("server3", at("mysql-bin.1000000:4")), on("server4", down), on("server5", down), on("server6", down)),
			rules:      noDelayCheck(),
			wantChosen: "server3", wantRule: 2,
		},
	}
	runElect(t, tests)
}

func TestElectBadCandidates(t *testing.T) {
	t.Parallel()
	const behind120MB = "mysql-bin.000010:30000000"
	lagging := func() []Candidate {
		return topology(t, on("server2", at("mysql-bin.000010:150000000"), execAt(behind120MB)),
			on("server3", at("mysql-bin.000010:150000000")), on("server4", at("mysql-bin.000010:150000000")),
			on("server5", at("mysql-bin.000010:150000000")), on("server6", at("mysql-bin.000010:150000000")))
	}
	tests := []electCase{
		{
			name:       "no_master is never promoted",
			cs:         topology(t, on("server2", noMaster)),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{"server2": "no_master=1"},
		},
		{
			name:       "replica without log_bin is never promoted",
			cs:         topology(t, on("server2", noLogBin)),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{"server2": "log_bin is OFF"},
		},
		{
			name: "replica newer than the oldest replica's major version is never promoted",
			cs: topology(t, on("server3", withVersion("10.6.16-MariaDB-log")),
				on("server5", withVersion("10.6.18-MariaDB-log"))),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{
				"server2": "version 10.11 is newer than the oldest replica's 10.6 (server3)",
				"server5": "lower priority: server3 comes first in config order",
			},
		},
		{
			name:       "patch-level differences do not make a replica bad",
			cs:         topology(t, on("server2", withVersion("10.11.9-MariaDB-log"))),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 2,
		},
		{
			name:       "a dead replica's older version does not count",
			cs:         topology(t, on("server6", withVersion("10.6.16-MariaDB"), down)),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 2,
		},
		{
			name:       "replica lacking relay logs is never promoted",
			cs:         topology(t, on("server2", lacksRelayLogs)),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{"server2": "lacks relay logs: no latest replica holds the events it is missing"},
		},
		{
			name:       "several defects are all reported",
			cs:         topology(t, on("server2", noMaster, noLogBin, lacksRelayLogs)),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{"server2": "no_master=1, log_bin is OFF, lacks relay logs: no latest replica holds the events it is missing"},
		},
		{
			name:       "check_repl_delay: SQL thread more than 100 MB behind the latest is never promoted",
			cs:         lagging(),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{"server2": "SQL thread 120 MB behind the latest (check_repl_delay)"},
		},
		{
			name:       "check_repl_delay=0 promotes a lagging SQL thread",
			cs:         lagging(),
			rules:      noDelayCheck(),
			wantChosen: "server2", wantRule: 2,
		},
		{
			name: "check_repl_delay=0 in the lagging candidate's own block: it still wins, as MHA's documentation means",
			cs: topology(t, on("server2", at("mysql-bin.000010:200000000"), execAt("mysql-bin.000010:4"), candidateMaster, ignoreReplDelay),
				on("server3", at("mysql-bin.000010:200000000"))),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 3,
		},
		{
			name: "check_repl_delay=0 on another replica does not let a lagging candidate through",
			cs: topology(t, on("server2", at("mysql-bin.000010:200000000"), execAt("mysql-bin.000010:4"), candidateMaster),
				on("server3", at("mysql-bin.000010:200000000"), ignoreReplDelay)),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{"server2": "SQL thread 199 MB behind the latest (check_repl_delay)"},
		},
		{
			name: "check_repl_delay=0 on a lagging replica that is not a candidate: the candidate still comes first",
			cs: topology(t, on("server2", at("mysql-bin.000010:200000000"), execAt("mysql-bin.000010:4"), ignoreReplDelay),
				on("server3", at("mysql-bin.000010:200000000"), candidateMaster)),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 3,
		},
		{
			name:       "check_repl_delay: exactly 100 MB behind is still acceptable",
			cs:         topology(t, on("server2", at("mysql-bin.000010:100000004"), execAt("mysql-bin.000010:4")), on("server3", at("mysql-bin.000010:100000004"))),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 2,
		},
		{
			name:       "check_repl_delay: a custom byte limit applies",
			cs:         topology(t, on("server2", execAt("mysql-bin.000010:3000"))),
			rules:      Rules{LatestPriority: true, CheckReplDelay: true, MaxDelayBytes: 1000},
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{"server2": "SQL thread 2000 bytes behind the latest (check_repl_delay)"},
		},
		{
			name:       "check_repl_delay rejects an SQL thread one file behind, however small the lag (MHA #143)",
			cs:         topology(t, on("server2", at("mysql-bin.000011:200"), execAt("mysql-bin.000010:4900")), on("server3", at("mysql-bin.000011:200"))),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{
				"server2": "SQL thread still executes mysql-bin.000010:4900 while the latest replica read mysql-bin.000011:200 (check_repl_delay rejects any older file when the backlog could not be measured; MHA #143)",
				"server4": "SQL thread still executes mysql-bin.000010:5000 while the latest replica read mysql-bin.000011:200 (check_repl_delay rejects any older file when the backlog could not be measured; MHA #143)",
			},
		},
		{
			name: "check_repl_delay with a measured backlog accepts a small lag across a rotation (MHA #143 fixed)",
			cs: topology(t, on("server2", at("mysql-bin.000011:200"), backlog(0)),
				on("server3", at("mysql-bin.000010:4900"), backlog(900)),
				on("server4", at("mysql-bin.000011:200"), execAt("mysql-bin.000009:100"), backlog(150_000_000))),
			rules:      noLatestPriority(),
			wantChosen: "server2", wantRule: 6,
			someReasons: map[string]string{
				"server3": "lower priority: server2 comes first in config order",
				"server4": "must apply 150 MB of relay log to catch up with the latest replica, more than the 100 MB limit (check_repl_delay)",
			},
		},
		{
			name: "check_repl_delay with a measured backlog: a latest replica whose SQL thread lags too much is rejected",
			cs: topology(t, on("server2", at("mysql-bin.000011:200"), execAt("mysql-bin.000011:100"), backlog(100_000_001)),
				on("server3", at("mysql-bin.000011:200"), backlog(0))),
			rules:      DefaultRules(),
			wantChosen: "server3", wantRule: 5,
			someReasons: map[string]string{
				"server2": "must apply 100 MB of relay log to catch up with the latest replica, more than the 100 MB limit (check_repl_delay)",
			},
		},
		{
			name:       "check_repl_delay with a measured backlog: exactly the limit is still acceptable",
			cs:         topology(t, on("server2", execAt("mysql-bin.000009:4"), backlog(1000))),
			rules:      Rules{LatestPriority: true, CheckReplDelay: true, MaxDelayBytes: 1000},
			wantChosen: "server2", wantRule: 2,
		},
		{
			name:       "check_repl_delay compares file numbers numerically",
			cs:         topology(t, on("server2", at("mysql-bin.1000000:200"), execAt("mysql-bin.1000000:100")), on("server3", at("mysql-bin.999999:300"))),
			rules:      DefaultRules(),
			wantChosen: "server2", wantRule: 5,
		},
	}
	runElect(t, tests)
}

func runElect(t *testing.T, tests []electCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := Elect(tc.cs, tc.rules)
			if e.Err != nil {
				t.Fatalf("Elect: unexpected error %v", e.Err)
			}
			if e.Chosen != tc.wantChosen || e.Rule != tc.wantRule {
				t.Fatalf("Elect chose %q by rule %d (%s), want %q by rule %d; reasons %v",
					e.Chosen, e.Rule, e.Step, tc.wantChosen, tc.wantRule, e.Reasons)
			}
			checkReasons(t, e, tc)
		})
	}
}

func checkReasons(t *testing.T, e Election, tc electCase) {
	t.Helper()
	if e.Step == "" {
		t.Errorf("Step is empty")
	}
	if _, ok := e.Reasons[e.Chosen]; ok || len(e.Reasons) != len(tc.cs)-1 {
		t.Errorf("Reasons must cover every other replica, got %v", e.Reasons)
	}
	if tc.wantReasons != nil && !maps.Equal(e.Reasons, tc.wantReasons) {
		t.Errorf("Reasons =\n%v\nwant\n%v", e.Reasons, tc.wantReasons)
	}
	for name, want := range tc.someReasons {
		if got := e.Reasons[name]; got != want {
			t.Errorf("Reasons[%s] = %q, want %q", name, got, want)
		}
	}
}

func TestElectForcedNewMaster(t *testing.T) {
	t.Parallel()
	t.Run("--new-master picks a non-latest, non-candidate replica that is not bad (step 1)", func(t *testing.T) {
		t.Parallel()
		e := Elect(topology(t, on("server3", at("mysql-bin.000010:9000"), candidateMaster)), forcing("server5"))
		if e.Err != nil || e.Chosen != "server5" || e.Rule != 1 {
			t.Fatalf("got %+v, want server5 by rule 1", e)
		}
		if got := e.Reasons["server3"]; got != "lower priority: --new-master chose server5" {
			t.Errorf("Reasons[server3] = %q", got)
		}
	})
	rejected := []struct {
		name, forced string
		cs           []Candidate
		wantMsg      string
	}{
		{"--new-master that is bad fails instead of falling back", "server5",
			topology(t, on("server5", noMaster)), "--new-master server5: no_master=1"},
		{"--new-master with a measured backlog over the limit fails", "server5",
			topology(t, on("server5", backlog(200_000_000))), "--new-master server5: must apply 200 MB of relay log"},
		{"--new-master lagging under check_repl_delay fails", "server5",
			topology(t, on("server5", execAt("mysql-bin.000009:4"))), "--new-master server5: SQL thread still executes mysql-bin.000009:4"},
		{"--new-master that is dead fails", "server5",
			topology(t, on("server5", down)), "--new-master server5 is not alive"},
		{"--new-master naming no configured replica fails", "server9",
			topology(t), "--new-master server9 is not a replica in the config"},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := Elect(tc.cs, forcing(tc.forced))
			if !errors.Is(e.Err, ErrNewMasterRejected) || e.Chosen != "" || e.Rule != 1 {
				t.Fatalf("got %+v, want ErrNewMasterRejected", e)
			}
			if !strings.Contains(e.Err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", e.Err, tc.wantMsg)
			}
			if got := e.Reasons["server2"]; got != "not considered: --new-master named "+tc.forced {
				t.Errorf("Reasons[server2] = %q", got)
			}
		})
	}
}

func TestElectFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cs      []Candidate
		wantErr error
		wantMsg string
	}{
		{"every replica dead or bad: abort naming each host and reason (step 7)",
			topology(t, on("server2", noMaster), on("server3", down), on("server4", noLogBin),
				on("server5", lacksRelayLogs), on("server6", noMaster, noLogBin)),
			ErrNoNewMaster,
			"none of the replicas can be the new master: server2: no_master=1; server3: not alive; " +
				"server4: log_bin is OFF; server5: lacks relay logs: no latest replica holds the events it is missing; " +
				"server6: no_master=1, log_bin is OFF"},
		{"every replica dead: abort",
			topology(t, on("server2", down), on("server3", down), on("server4", down), on("server5", down), on("server6", down)),
			ErrNoNewMaster, "no replica is alive: server2: not alive;"},
		{"no replicas at all", nil, ErrBadCandidates, "no replicas"},
		{"repeated replica names", []Candidate{{Name: "a", Alive: true}, {Name: "a", Alive: true}}, ErrBadCandidates, `"a"`},
		{"empty replica name", []Candidate{{Alive: true}}, ErrBadCandidates, `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := Elect(tc.cs, DefaultRules())
			if !errors.Is(e.Err, tc.wantErr) || e.Chosen != "" {
				t.Fatalf("got %+v, want error %v", e, tc.wantErr)
			}
			if !strings.Contains(e.Err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", e.Err, tc.wantMsg)
			}
		})
	}
}

func TestElectDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	cs := topology(t, on("server2", order(9)))
	before := append([]Candidate(nil), cs...)
	Elect(cs, DefaultRules())
	for i := range cs {
		if cs[i].Name != before[i].Name || cs[i].Order != before[i].Order {
			t.Fatalf("input reordered: %v", cs)
		}
	}
}

func TestElectZeroMaxDelayMeansMHADefault(t *testing.T) {
	t.Parallel()
	cs := topology(t, on("server2", execAt("mysql-bin.000010:4")))
	e := Elect(cs, Rules{LatestPriority: true, CheckReplDelay: true})
	if e.Chosen != "server2" {
		t.Fatalf("a 5 kB lag must pass the default 100 MB limit, got %+v", e)
	}
}
