package decide

import (
	"testing"

	"github.com/mhago/mhago/repl"
)

func TestPlanDiffs(t *testing.T) {
	t.Parallel()
	latest := Candidate{Name: "server4", Read: coords("mysql-bin.000011:700"), Exec: coords("mysql-bin.000011:700")}
	tests := []struct {
		name   string
		target Candidate
		latest *Candidate // nil: latest
		want   DiffPlan
	}{
		{"a latest replica that applied everything needs nothing",
			Candidate{Read: coords("mysql-bin.000011:700"), Exec: coords("mysql-bin.000011:700")}, nil,
			DiffPlan{}},
		{"a latest replica whose relay log ends mid-transaction needs only its exec diff",
			Candidate{Read: coords("mysql-bin.000011:700"), Exec: coords("mysql-bin.000011:500")}, nil,
			DiffPlan{NeedExec: true}},
		{"an older replica needs the read diff from its own read position",
			Candidate{Read: coords("mysql-bin.000011:300"), Exec: coords("mysql-bin.000011:300")}, nil,
			DiffPlan{NeedRead: true, ReadFrom: coords("mysql-bin.000011:300")}},
		{"an older replica in an older file needs the read diff across the rotation",
			Candidate{Read: coords("mysql-bin.000010:900"), Exec: coords("mysql-bin.000010:900")}, nil,
			DiffPlan{NeedRead: true, ReadFrom: coords("mysql-bin.000010:900")}},
		{"an older replica with a lagging SQL thread needs both diffs",
			Candidate{Read: coords("mysql-bin.000011:300"), Exec: coords("mysql-bin.000010:900")}, nil,
			DiffPlan{NeedExec: true, NeedRead: true, ReadFrom: coords("mysql-bin.000011:300")}},
		{"read positions compare files numerically",
			Candidate{Read: coords("mysql-bin.999999:300"), Exec: coords("mysql-bin.999999:300")},
			&Candidate{Read: coords("mysql-bin.1000000:4")},
			DiffPlan{NeedRead: true, ReadFrom: coords("mysql-bin.999999:300")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := latest
			if tc.latest != nil {
				l = *tc.latest
			}
			if got := PlanDiffs(tc.target, l); got != tc.want {
				t.Errorf("PlanDiffs = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPlanDiffsTargetAheadOfLatest(t *testing.T) {
	t.Parallel()
	target := Candidate{Read: coords("mysql-bin.000012:4"), Exec: coords("mysql-bin.000012:4")}
	got := PlanDiffs(target, Candidate{Read: coords("mysql-bin.000011:4")})
	if got.NeedRead || got.ReadFrom != (repl.Coordinates{}) {
		t.Errorf("a target ahead of the given latest needs no read diff, got %+v", got)
	}
}

func TestChooseBase(t *testing.T) {
	t.Parallel()
	latest := []string{"server3", "server4", "server6"}
	tests := []struct {
		name   string
		found  map[string]bool
		want   string
		wantOK bool
	}{
		{"first latest replica holding the relay logs wins", map[string]bool{"server3": true, "server4": true}, "server3", true},
		{"a latest replica without the relay logs is skipped", map[string]bool{"server3": false, "server6": true}, "server6", true},
		{"a replica outside the latest set never becomes the base", map[string]bool{"server2": true}, "", false},
		{"no latest replica holds them", map[string]bool{}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ChooseBase(latest, tc.found)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("ChooseBase = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
