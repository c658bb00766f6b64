package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/instance"
)

func srv(block string) config.Server {
	return config.Server{Block: block, Hostname: "h-" + block, IP: "10.0.0." + block[len(block)-1:], Port: 3306}
}

func replicaOf(m config.Server, io string) *instance.Status {
	return &instance.Status{ReadOnly: true, Replica: &instance.ReplicaStatus{MasterHost: m.IP, MasterPort: m.Port, IORunning: io}}
}

func TestPickMaster(t *testing.T) {
	s1, s2, s3 := srv("server1"), srv("server2"), srv("server3")
	down := errors.New("connection refused")
	tests := []struct {
		name string
		obs  []serverObs
		want string
	}{
		{"the only root", []serverObs{{Server: s1, Status: &instance.Status{}}, {Server: s2, Status: replicaOf(s1, "Yes")}, {Server: s3, Status: replicaOf(s1, "Yes")}}, "server1"},
		{"master down: the replicas point at it", []serverObs{{Server: s1, Err: down}, {Server: s2, Status: replicaOf(s1, "Connecting")}, {Server: s3, Status: replicaOf(s1, "No")}}, "server1"},
		{"after a failover the new master is the root", []serverObs{{Server: s1, Err: down}, {Server: s2, Status: &instance.Status{}}, {Server: s3, Status: replicaOf(s2, "Yes")}}, "server2"},
		{"old master back, not rejoined: the replicas decide", []serverObs{{Server: s1, Status: &instance.Status{}}, {Server: s2, Status: &instance.Status{}}, {Server: s3, Status: replicaOf(s2, "Yes")}}, "server2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickMaster(tt.obs)
			if err != nil || got.Block != tt.want {
				t.Fatalf("pickMaster = %q, %v; want %q", got.Block, err, tt.want)
			}
		})
	}
	_, err := pickMaster([]serverObs{{Server: s1, Err: down}, {Server: s2, Err: down}})
	if !errors.Is(err, ErrNoMaster) || !strings.Contains(err.Error(), "server1: connection refused") || !strings.Contains(err.Error(), "fix:") {
		t.Fatalf("nobody answered: got %v", err)
	}
}

func TestReplicaSight(t *testing.T) {
	s1, s2, s3, s4 := srv("server1"), srv("server2"), srv("server3"), srv("server4")
	obs := []serverObs{{Server: s1}, {Server: s2, Status: replicaOf(s1, "Connecting")}, {Server: s3, Status: replicaOf(s1, "Yes")},
		{Server: s4, Status: replicaOf(s2, "No")}, {Server: srv("server5"), Err: errors.New("down")}}
	replicas, lost := replicaSight(obs, s1)
	if replicas != 2 || lost != 1 {
		t.Fatalf("replicaSight = %d, %d; want 2 replicas of server1, 1 lost (server4 replicates from server2, server5 is down)", replicas, lost)
	}
}

func TestClassifyPing(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{}}
	refused.Err = fmt.Errorf("connect: %w", syscall.ECONNREFUSED)
	tests := []struct {
		err  error
		want PingResult
	}{
		{nil, PingOK},
		{fmt.Errorf("ping: %w", &mysql.MySQLError{Number: 1040, Message: "Too many connections"}), PingAnswered},
		{fmt.Errorf("ping: %w", refused), PingRefused},
		{fmt.Errorf("ping: %w", context.DeadlineExceeded), PingSilent},
		{mysql.ErrInvalidConn, PingSilent},
	}
	for _, tt := range tests {
		if got := classifyPing(tt.err); got != tt.want {
			t.Errorf("classifyPing(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestMetricsText(t *testing.T) {
	m := NewMetrics(`app"1`)
	m.checked("server1", true, StateHealthy, map[string]float64{"server3": 2, "server2": 0}, time.UnixMilli(1700000000500), 1500*time.Millisecond)
	m.failedOver(OutcomeLost)
	m.configVersion(7)
	var b strings.Builder
	if err := m.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"# TYPE mhago_monitor_master_up gauge\n",
		`mhago_monitor_master_up{cluster="app\"1",master="server1"} 1` + "\n",
		`mhago_monitor_state{cluster="app\"1",state="healthy"} 1` + "\n",
		`mhago_monitor_state{cluster="app\"1",state="dead"} 0` + "\n",
		`mhago_monitor_replica_lag_seconds{cluster="app\"1",replica="server2"} 0` + "\n" + `mhago_monitor_replica_lag_seconds{cluster="app\"1",replica="server3"} 2` + "\n",
		`mhago_monitor_last_check_timestamp_seconds{cluster="app\"1"} 1.7000000005e+09` + "\n",
		`mhago_monitor_check_duration_seconds{cluster="app\"1"} 1.5` + "\n",
		"# TYPE mhago_monitor_failovers_total counter\n",
		`mhago_monitor_failovers_total{cluster="app\"1",outcome="lost"} 1` + "\n",
		`mhago_monitor_failovers_total{cluster="app\"1",outcome="done"} 0` + "\n",
		`mhago_monitor_config_version{cluster="app\"1"} 7` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	if ok, _ := m.healthy(time.UnixMilli(1700000000500).Add(time.Second), 3*time.Second); !ok {
		t.Error("healthz: a check 1 s ago is healthy")
	}
	if ok, msg := m.healthy(time.UnixMilli(1700000000500).Add(10*time.Second), 3*time.Second); ok {
		t.Errorf("healthz: a check 10 s ago passed: %s", msg)
	}
}

// TestIntervalIsTheMastersOwn: ping_interval set in the monitored master's
// block is used for it, [server default]'s before a master is known, as
// MHA reads it from the current master.
func TestIntervalIsTheMastersOwn(t *testing.T) {
	cfg := &config.Config{Default: config.Server{Settings: config.Settings{PingInterval: 3 * time.Second}},
		Servers: []config.Server{
			{Block: "server1", Settings: config.Settings{PingInterval: time.Second}},
			{Block: "server2", Settings: config.Settings{PingInterval: 3 * time.Second}},
		}}
	m := &monitor{cfg: cfg}
	if got := m.interval(); got != 3*time.Second {
		t.Errorf("no master yet: %s, want 3s", got)
	}
	m.master = cfg.Servers[0]
	if got := m.interval(); got != time.Second {
		t.Errorf("server1 as master: %s, want its own 1s", got)
	}
}
