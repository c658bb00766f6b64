package chaos

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDrawIsDeterministic(t *testing.T) {
	for seed := int64(1); seed <= 50; seed++ {
		if a, b := Draw(seed), Draw(seed); !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d drew %v then %v", seed, a, b)
		}
	}
	if reflect.DeepEqual(Draw(1), Draw(2)) {
		t.Fatal("seeds 1 and 2 drew the same scenario")
	}
}

// Over many seeds every dimension of the issue is drawn, and every drawn
// value stays within its bounds.
func TestDrawCoversTheSpace(t *testing.T) {
	seen := map[string]bool{}
	for seed := int64(1); seed <= 2000; seed++ {
		s := Draw(seed)
		if s.Replicas < 2 || s.Replicas > 6 || s.Clients < 2 || s.BigMB < 2 || s.BigTx < 1 {
			t.Fatalf("seed %d out of bounds: %v", seed, s)
		}
		if s.LoadFor < 1500e6 || s.LoadFor > 4000e6 {
			t.Fatalf("seed %d load %s", seed, s.LoadFor)
		}
		for i, d := range s.Disturb {
			if d.At < 0 || d.At >= s.LoadFor || (i > 0 && d.At < s.Disturb[i-1].At) {
				t.Fatalf("seed %d disturbance %v out of order or bounds", seed, d)
			}
			if (d.Kind == FlushBinlog) != (d.Host == 0) || d.Host > s.Replicas+1 {
				t.Fatalf("seed %d disturbance %v on the wrong host", seed, d)
			}
			seen["disturb "+string(d.Kind)] = true
		}
		for _, f := range s.Faults {
			if f.Kind == StopReplica && (f.Host < 2 || f.Host > s.Replicas+1) {
				t.Fatalf("seed %d stops host %d of %d", seed, f.Host, s.Hosts())
			}
			seen["fault "+string(f.Kind)] = true
			if f.Kind == KillMhago && strings.HasPrefix(f.Point, "apply:") {
				seen["fault kill-mhago mid-apply"] = true
			}
			if f.Kind == DeadSSHDown && f.Point != "" {
				seen["fault dead-ssh-down during the run"] = true
			}
		}
		if s.StopAllIO > 0 {
			if s.StopAllIO >= s.LoadFor || s.StopAllIO < s.LoadFor-800*time.Millisecond {
				t.Fatalf("seed %d stops all IO threads at %s of %s", seed, s.StopAllIO, s.LoadFor)
			}
			seen["all IO threads stopped"] = true
		}
		seen["format "+s.Format] = true
		seen["kill "+string(s.Kill)] = true
		seen[map[bool]string{true: "gtid", false: "filepos"}[s.GTID]] = true
		seen["replicas "+strconv.Itoa(s.Replicas)] = true
		seen["binlog "+strconv.FormatInt(s.BinlogSize, 10)] = true
		seen["relay "+strconv.FormatInt(s.RelayLogSize, 10)] = true
	}
	for _, want := range []string{
		"disturb stop-io", "disturb stop-sql", "disturb start-slave", "disturb flush-binlog", "disturb flush-relay",
		"fault dead-ssh-down", "fault stop-replica", "fault restart-redis", "fault hook-fail", "fault hook-hang", "fault kill-mhago", "fault kill-mhago mid-apply", "fault dead-ssh-down during the run", "all IO threads stopped",
		"format ROW", "format STATEMENT", "format MIXED", "kill plain", "kill mid-big", "kill big-commit", "gtid", "filepos",
		"replicas 2", "replicas 6", "binlog 8192", "binlog 0", "relay 8192", "relay 0",
	} {
		if !seen[want] {
			t.Errorf("2000 seeds never drew %q", want)
		}
	}
}

func TestScenarioString(t *testing.T) {
	s := Scenario{Seed: 7, Replicas: 3, GTID: true, Format: "MIXED", BinlogSize: 8 << 10, Clients: 2, LoadFor: 2e9, BigTx: 1, BigMB: 3, Kill: KillMidBig,
		Disturb: []Disturbance{{At: 5e8, Kind: StopIO, Host: 3}, {At: 6e8, Kind: FlushBinlog}},
		Faults:  []Fault{{Kind: DeadSSHDown}, {Kind: StopReplica, Host: 2, Point: "before:4 replica recovery"}, {Kind: HookFail, Command: "start"}}}
	want := "replicas=3 gtid mixed binlog=8K relay=default clients=2+ddl load=2s big=1x3MB kill=mid-big " +
		"disturb=stop-io(h3)@500ms,flush-binlog@600ms faults=dead-ssh-down,stop-replica(h2)@before:4 replica recovery,hook-fail(start)"
	if got := s.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
