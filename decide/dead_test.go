package decide

import (
	"slices"
	"strings"
	"testing"
)

// deadMaster is the evidence of a master that is really gone: connection
// refused, port closed, both replicas lost it, secondary check says down.
func deadMaster() Evidence {
	return Evidence{
		Host:           "server1",
		SQLErr:         "dial tcp 127.0.0.1:3306: connect: connection refused",
		SQLUnreachable: true,
		SSHReachable:   boolp(true),
		Replicas: []ReplicaView{
			{Name: "server2", IORunning: "Connecting", LastIOErrno: 2003, MasterMatches: true},
			{Name: "server3", IORunning: "No", LastIOErrno: 2013, MasterMatches: true},
		},
		SecondaryCheck: intp(0),
	}
}

func TestConfirmDead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(*Evidence)
		wantDead bool
		want     []string // refusals when alive; must all be present when dead
	}{
		{"every observation agrees: dead", func(*Evidence) {}, true, []string{
			"server1: MySQL unreachable: dial tcp 127.0.0.1:3306: connect: connection refused",
			"server1: the MySQL port does not accept TCP connections",
			"server2: IO thread lost server1 (Slave_IO_Running=Connecting, Last_IO_Errno=2003)",
			"server3: IO thread lost server1 (Slave_IO_Running=No, Last_IO_Errno=2013)",
			"server1: secondary check found it unreachable from every route (exit 0)",
			"server1: SSH reachable, its binlog can be saved",
		}},
		{"access denied proves mysqld is alive", func(e *Evidence) {
			e.SQLUnreachable, e.AccessDenied, e.SQLErr = false, true, "Error 1045 (28000): Access denied for user 'mha'@'127.0.0.1'"
		}, false, []string{"server1: mysqld rejected the login, so it is running: Error 1045 (28000): Access denied for user 'mha'@'127.0.0.1'"}},
		{"access denied wins even if also flagged unreachable", func(e *Evidence) {
			e.AccessDenied, e.SQLErr = true, "Error 1040: Too many connections"
		}, false, []string{"server1: mysqld rejected the login, so it is running: Error 1040: Too many connections"}},
		{"a working connection is alive", func(e *Evidence) {
			e.SQLUnreachable, e.SQLErr = false, ""
		}, false, []string{"server1: MySQL accepted a connection"}},
		{"a query error that is not a connection failure is not proof of death", func(e *Evidence) {
			e.SQLUnreachable, e.SQLErr = false, "Error 1290: read only"
		}, false, []string{"server1: MySQL error is not a connection failure: Error 1290: read only"}},
		{"open TCP port means not dead", func(e *Evidence) { e.TCPOpen = true },
			false, []string{"server1: the MySQL port still accepts TCP connections and mysqld answers"}},
		{"a hung mysqld (TCP accepted, no greeting) without a way to fence it is refused with the fix", func(e *Evidence) {
			e.TCPOpen, e.TCPSilent = true, true
		}, false, []string{"server1: the MySQL port accepts TCP connections but mysqld sends no greeting: it is hung (stopped? disk full?), not gone, and could wake up and take writes. " +
			"Fence it first: on its host kill mysqld with SIGKILL (e.g. `systemctl kill -s KILL mariadb`) or power it off, or configure shutdown_script (MHA's power_manager); then run the failover again"}},
		{"a hung mysqld that shutdown_script can fence is dead once the replicas agree", func(e *Evidence) {
			e.TCPOpen, e.TCPSilent, e.CanFence = true, true, true
		}, true, []string{"server1: the MySQL port accepts TCP connections but mysqld sends no greeting: it is hung; shutdown_script must fence it before another master is promoted"}},
		{"a replica whose IO thread says Yes but whose host cannot reach the vanished master is stale", func(e *Evidence) {
			e.Replicas[0].IORunning, e.Replicas[0].Unreachable, e.Replicas[0].Why = "Yes", true, "dial tcp 10.0.0.11:3306: i/o timeout"
		}, true, []string{"server2: IO thread still says Yes, but its host cannot reach server1 (dial tcp 10.0.0.11:3306: i/o timeout): the connection is dead and not yet timed out"}},
		{"a hung master that every replica's host finds silent too is dead when it can be fenced", func(e *Evidence) {
			e.TCPOpen, e.TCPSilent, e.CanFence = true, true, true
			e.Replicas[0].IORunning, e.Replicas[0].Silent = "Yes", true
		}, true, []string{"server2: IO thread still says Yes, but server1 sends its host no greeting either: mysqld is hung, and shutdown_script fences it before another master is promoted"}},
		{"a hung master replicas find silent is not dead without a fence", func(e *Evidence) {
			e.TCPOpen, e.TCPSilent = true, true
			e.Replicas[0].IORunning, e.Replicas[0].Silent = "Yes", true
		}, false, []string{"server1: the MySQL port accepts TCP connections but mysqld sends no greeting: it is hung (stopped? disk full?), not gone, and could wake up and take writes. " +
			"Fence it first: on its host kill mysqld with SIGKILL (e.g. `systemctl kill -s KILL mariadb`) or power it off, or configure shutdown_script (MHA's power_manager); then run the failover again",
			"server2: IO thread still connected to server1 (Slave_IO_Running=Yes)"}},
		{"replicas finding the master silent while the manager is greeted keep it alive", func(e *Evidence) {
			e.TCPOpen, e.CanFence = true, true
			e.Replicas[0].IORunning, e.Replicas[0].Silent = "Yes", true
		}, false, []string{"server1: the MySQL port still accepts TCP connections and mysqld answers", "server2: IO thread still connected to server1 (Slave_IO_Running=Yes)"}},
		{"a replica whose host still reaches the master keeps it alive", func(e *Evidence) {
			e.Replicas[0].IORunning, e.Replicas[0].Unreachable = "Yes", false
		}, false, []string{"server2: IO thread still connected to server1 (Slave_IO_Running=Yes)"}},
		{"a hung mysqld a replica still reads from is not dead, fence or not", func(e *Evidence) {
			e.TCPOpen, e.TCPSilent, e.CanFence = true, true, true
			e.Replicas[0].IORunning = "Yes"
		}, false, []string{"server2: IO thread still connected to server1 (Slave_IO_Running=Yes)"}},
		{"a replica still streaming from the master means not dead", func(e *Evidence) { e.Replicas[1].IORunning = "Yes" },
			false, []string{"server3: IO thread still connected to server1 (Slave_IO_Running=Yes)"}},
		{"a replica of another master is not counted", func(e *Evidence) {
			e.Replicas = append(e.Replicas, ReplicaView{Name: "server9", IORunning: "Yes"})
		}, true, []string{"server9: replicates from another master, not counted"}},
		{"secondary check exit 2 (a route is down) cannot confirm", func(e *Evidence) { e.SecondaryCheck = intp(2) },
			false, []string{"server1: secondary check could not reach a secondary host, so it cannot confirm (exit 2)"}},
		{"secondary check exit 3 (master reachable from a route) means alive", func(e *Evidence) { e.SecondaryCheck = intp(3) },
			false, []string{"server1: secondary check reached it from a secondary host (exit 3)"}},
		{"secondary check failing otherwise is unknown, not dead", func(e *Evidence) { e.SecondaryCheck = intp(1) },
			false, []string{"server1: secondary check failed, result unknown (exit 1)"}},
		{"no secondary check configured: the other evidence decides", func(e *Evidence) { e.SecondaryCheck = nil },
			true, []string{"server1: no secondary check configured"}},
		{"SSH down does not make the master alive, it only loses the binlog", func(e *Evidence) { e.SSHReachable = boolp(false) },
			true, []string{"server1: SSH unreachable, events not yet replicated cannot be saved"}},
		{"SSH unknown is reported", func(e *Evidence) { e.SSHReachable = nil },
			true, []string{"server1: SSH reachability unknown"}},
		{"no replicas observed: SQL, TCP and secondary decide", func(e *Evidence) { e.Replicas = nil },
			true, nil},
		{"every refusal is listed", func(e *Evidence) {
			e.TCPOpen, e.Replicas[0].IORunning, e.SecondaryCheck = true, "Yes", intp(3)
		}, false, []string{
			"server1: the MySQL port still accepts TCP connections and mysqld answers",
			"server2: IO thread still connected to server1 (Slave_IO_Running=Yes)",
			"server1: secondary check reached it from a secondary host (exit 3)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev := deadMaster()
			tc.edit(&ev)
			dead, reasons := ConfirmDead(ev)
			if dead != tc.wantDead {
				t.Fatalf("ConfirmDead = %v, want %v; reasons %q", dead, tc.wantDead, reasons)
			}
			checkDeadReasons(t, dead, reasons, tc.want)
		})
	}
}

func checkDeadReasons(t *testing.T, dead bool, got, want []string) {
	t.Helper()
	if !dead && !slices.Equal(got, want) {
		t.Errorf("refusals =\n%q\nwant\n%q", got, want)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("reasons %q lack %q", got, w)
		}
	}
	for _, r := range got {
		if !strings.HasPrefix(r, "server") {
			t.Errorf("reason %q does not start with the host it is about", r)
		}
	}
}
