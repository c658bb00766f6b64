package monitor

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHealthOf(t *testing.T) {
	tests := []struct {
		stage Stage
		state State
		want  Health
	}{
		{StageStarting, StateHealthy, HealthInitializingMonitor},
		{StageWatching, StateHealthy, HealthPingOK},
		{StageWatching, StateSuspect, HealthPingFailing},
		{StageWatching, StateDead, HealthPingFailed},
		{StageFailover, StateDead, HealthFailoverRunning},
		{StageFailoverError, StateDead, HealthFailoverError},
		{StageRetrying, StateDead, HealthRetryingMonitor},
		{StageMonitorError, StateHealthy, HealthConfigError},
	}
	for _, tt := range tests {
		if got := HealthOf(tt.stage, tt.state); got != tt.want {
			t.Errorf("HealthOf(%s, %s) = %s, want %s", tt.stage, tt.state, got, tt.want)
		}
	}
}

// TestHealthCodes pins MHA 0.58's numbers and names (ManagerConst.pm).
func TestHealthCodes(t *testing.T) {
	want := map[Health]string{0: "0:PING_OK", 2: "2:NOT_RUNNING", 3: "3:PARTIALLY_RUNNING", 10: "10:INITIALIZING_MONITOR",
		20: "20:PING_FAILING", 21: "21:PING_FAILED", 30: "30:RETRYING_MONITOR", 31: "31:CONFIG_ERROR", 32: "32:TIMESTAMP_OLD",
		50: "50:FAILOVER_RUNNING", 51: "51:FAILOVER_ERROR"}
	for h, s := range want {
		if h.String() != s {
			t.Errorf("Health(%d) = %q, want %q", int(h), h.String(), s)
		}
	}
	if Health(7).Name() != "UNKNOWN" {
		t.Errorf("Health(7).Name() = %q", Health(7).Name())
	}
}

func TestHealthFileRoundTrip(t *testing.T) {
	for _, f := range []HealthFile{
		{Pid: 4242, Health: HealthPingOK, Master: "db1.example.com"},
		{Pid: 17, Health: HealthInitializingMonitor},
		{Pid: 99, Health: HealthFailoverRunning, Master: "127.0.25.11"},
	} {
		got, err := ParseHealthFile(f.Marshal())
		if err != nil || got != f {
			t.Errorf("round trip of %+v: %+v, %v", f, got, err)
		}
	}
}

func TestParseHealthFile(t *testing.T) {
	tests := []struct {
		in   string
		want HealthFile
		ok   bool
	}{
		// As MHA's FileStatus writes it: no newline.
		{"12345\t0:PING_OK\tmaster:host1", HealthFile{12345, HealthPingOK, "host1"}, true},
		{"12345\t10:INITIALIZING_MONITOR", HealthFile{12345, HealthInitializingMonitor, ""}, true},
		{"12345\t50:FAILOVER_RUNNING\tmaster:host1\n", HealthFile{12345, HealthFailoverRunning, "host1"}, true},
		{"", HealthFile{}, false},
		{"12345", HealthFile{}, false},
		{"abc\t0:PING_OK", HealthFile{}, false},
		{"1\t0:PING_OK", HealthFile{}, false}, // init is never a monitor
		{"12345\t0:PING_FAILED", HealthFile{}, false},
		{"12345\t99:WHAT", HealthFile{}, false},
	}
	for _, tt := range tests {
		got, err := ParseHealthFile([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseHealthFile(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestHealthFilePath(t *testing.T) {
	if got := HealthFilePath("/var/log/masterha/app1", "app1"); got != "/var/log/masterha/app1/app1.master_status.health" {
		t.Errorf("HealthFilePath = %q", got)
	}
}

// TestHealthWriter: a new status replaces the file, the same one only
// touches it (its mtime moves on), Remove deletes it, a nil writer is a
// no-op.
func TestHealthWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app1.master_status.health")
	w := NewHealthWriter(path, 4242, slog.New(slog.DiscardHandler))
	w.Set(StageStarting, StateHealthy, "")
	requireFile(t, path, "4242\t10:INITIALIZING_MONITOR")
	w.Set(StageWatching, StateHealthy, "db1")
	requireFile(t, path, "4242\t0:PING_OK\tmaster:db1")
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	w.Set(StageWatching, StateHealthy, "")
	requireFile(t, path, "4242\t0:PING_OK\tmaster:db1")
	if fi, err := os.Stat(path); err != nil || time.Since(fi.ModTime()) > 10*time.Second {
		t.Errorf("an unchanged status did not touch the file: %v, %v", fi.ModTime(), err)
	}
	if w.Current() != HealthPingOK {
		t.Errorf("Current = %s", w.Current())
	}
	os.Remove(path) // someone removed it: the next Set writes it again
	w.Set(StageWatching, StateSuspect, "")
	requireFile(t, path, "4242\t20:PING_FAILING\tmaster:db1")
	w.Remove()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after Remove: %v", err)
	}
	var none *HealthWriter
	none.Set(StageWatching, StateHealthy, "x")
	none.Remove()
	if none.Current() != HealthNotRunning || none.Path() != "" {
		t.Error("a nil writer is not a no-op")
	}
}

func requireFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || string(b) != want {
		t.Fatalf("%s = %q, %v; want %q", path, b, err, want)
	}
}
