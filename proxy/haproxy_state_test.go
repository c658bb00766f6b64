package proxy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readCapture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "haproxy26", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseServersState parses answers captured from HAProxy 2.6.12.
func TestParseServersState(t *testing.T) {
	row := func(be, srv, addr string, op OpState, admin AdminState) ServerState {
		return ServerState{Backend: be, Server: srv, Addr: addr, Op: op, Admin: admin}
	}
	tests := []struct {
		file string
		want []ServerState
	}{
		{"state-initial.txt", []ServerState{
			row("mysql", "server1", "127.0.21.251", OpRunning, 0),
			row("mysql", "server2", "127.0.21.252", OpStopped, AdminForcedMaint|AdminConfigMaint),
			row("mysql", "server3", "127.0.21.253", OpStopped, AdminForcedMaint|AdminConfigMaint)}},
		{"state-after.txt", []ServerState{
			row("mysql", "server1", "127.0.21.251", OpStopped, AdminForcedMaint),
			row("mysql", "server2", "127.0.21.252", OpStopped, AdminForcedMaint|AdminConfigMaint),
			row("mysql", "server3", "127.0.21.253", OpStopped, AdminForcedMaint|AdminConfigMaint)}},
		{"state-writers.txt", []ServerState{
			row("writers", "db1", "127.0.21.251", OpRunning, AdminForcedDrain),
			row("writers", "db2", "127.0.21.252", OpRunning, 0),
			row("writers", "db3", "::1", OpRunning, AdminConfigMaint),
			row("writers", "db4", "127.0.0.1", OpStopped, AdminForcedMaint)}},
	}
	for _, tt := range tests {
		got, err := ParseServersState(readCapture(t, tt.file))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %v, %v\nwant %v", tt.file, got, err, tt.want)
		}
	}
	all, err := ParseServersState(readCapture(t, "state-all.txt"))
	if err != nil || len(all) != 7 || all[6].Server != "db4" || all[0].Backend != "mysql" {
		t.Errorf("state-all.txt: %v, %v", all, err)
	}
	user, err := ParseServersState(readCapture(t, "state-user.txt"))
	if err != nil || !user[0].Ready() || user[1].Ready() {
		t.Errorf("state-user.txt: %v, %v", user, err)
	}
}

func TestParseServersStateErrors(t *testing.T) {
	header := "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n"
	tests := []struct{ name, in, err string }{
		{"no backend", readCapture(t, "state-nobackend.txt"), `unexpected answer "Can't find backend." (want state format 1)`},
		{"empty", "", `unexpected answer "" (want state format 1)`},
		{"permission", "Permission denied\n", `unexpected answer "Permission denied" (want state format 1)`},
		{"version 2", "2\n# be_name\n", `unexpected answer "2\n# be_name" (want state format 1)`},
		{"no header", "1\n", `answer without a column header: "1"`},
		{"column missing", "1\n# be_id be_name srv_name srv_addr srv_op_state\n", `column srv_admin_state missing in "# be_id be_name srv_name srv_addr srv_op_state"`},
		{"short row", header + "3 mysql 1 server1 127.0.0.1 2\n", `row 1 "3 mysql 1 server1 127.0.0.1 2": 6 fields, header has 7`},
		{"state not a number", header + "3 mysql 1 server1 127.0.0.1 up 0\n", `row 1 "3 mysql 1 server1 127.0.0.1 up 0": states "up"/"0" are not numbers`},
		{"negative admin", header + "3 mysql 1 server1 127.0.0.1 2 -1\n", `states "2"/"-1" are not numbers`},
	}
	for _, tt := range tests {
		_, err := ParseServersState(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
	if rows, err := ParseServersState(header); err != nil || len(rows) != 0 {
		t.Errorf("no servers: %v, %v", rows, err)
	}
}

func TestAdminState(t *testing.T) {
	tests := []struct {
		a            AdminState
		maint, drain bool
		str          string
	}{
		{0, false, false, "ready"},
		{AdminConfigMaint, false, false, "ready"}, // "disabled" in the config, then set ready
		{AdminHostnameSet, false, false, "ready"},
		{AdminForcedMaint | AdminConfigMaint, true, false, "maint"},
		{AdminInheritMaint, true, false, "maint"},
		{AdminResolvedMaint, true, false, "maint"},
		{AdminForcedDrain, false, true, "drain"},
		{AdminInheritDrain | AdminForcedMaint, true, true, "maint"},
	}
	for _, tt := range tests {
		if tt.a.Maint() != tt.maint || tt.a.Drain() != tt.drain || tt.a.String() != tt.str {
			t.Errorf("0x%x: maint %v drain %v %q", uint(tt.a), tt.a.Maint(), tt.a.Drain(), tt.a)
		}
	}
	for o, up := range map[OpState]bool{OpStopped: false, OpStarting: true, OpRunning: true, OpStopping: false, 9: false} {
		if o.Up() != up {
			t.Errorf("%s: Up %v", o, o.Up())
		}
	}
}

var (
	s1 = Target{Block: "server1", Hostname: "db1", IP: "10.0.0.1", Port: 3306}
	s2 = Target{Block: "server2", Hostname: "db2", IP: "10.0.0.2", Port: 3306}
	s3 = Target{Block: "server3", Hostname: "db3", IP: "10.0.0.3", Port: 3306}
	s4 = Target{Block: "server4", Hostname: "db4", IP: "10.0.0.4", Port: 3306}
)

// view is backend "mysql" with servers named by block except server2 ("db2").
func view(rows ...ServerState) backendView {
	names := func(b string) string {
		if b == "server2" {
			return "db2"
		}
		return b
	}
	for i := range rows {
		rows[i].Backend = "mysql"
	}
	return backendView{backend: "mysql", names: names, rows: rows}
}

func TestPlans(t *testing.T) {
	v := view(ServerState{Server: "server1"}, ServerState{Server: "db2"}, ServerState{Server: "server3"})
	switchover := Change{Orig: s1, New: s2, Others: []Target{s3, s4}}
	rollback := Change{Orig: s1, New: s1, Others: []Target{s2, s3, s4}}
	tests := []struct {
		name string
		plan func(backendView, Change) ([]string, error)
		c    Change
		want []string
		err  string
	}{
		{"stop", stopCommands, switchover, []string{"set server mysql/server1 state maint"}, ""},
		{"open: others out first, server4 not in the backend", openCommands, switchover, []string{
			"set server mysql/server1 state maint", "shutdown sessions server mysql/server1",
			"set server mysql/server3 state maint", "shutdown sessions server mysql/server3",
			"set server mysql/db2 state ready"}, ""},
		{"rollback", openCommands, rollback, []string{
			"set server mysql/db2 state maint", "shutdown sessions server mysql/db2",
			"set server mysql/server3 state maint", "shutdown sessions server mysql/server3",
			"set server mysql/server1 state ready"}, ""},
		{"stop: old master missing", stopCommands, Change{Orig: s4, New: s1}, nil,
			"backend mysql has no server server4 for [server4] db4(10.0.0.4:3306) (fix: add it to the backend in haproxy.cfg, " +
				"or map the block with haproxy_servers=server4=<server name>)"},
		{"open: new master missing", openCommands, Change{Orig: s1, New: s4}, nil, "has no server server4 for [server4]"},
		{"open: old master missing", openCommands, Change{Orig: s4, New: s1}, nil, "has no server server4 for [server4]"},
	}
	for _, tt := range tests {
		got, err := tt.plan(v, tt.c)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q, %v\nwant %q", tt.name, got, err, tt.want)
		}
	}
}

func TestChecks(t *testing.T) {
	up, maint := ServerState{Op: OpRunning}, ServerState{Op: OpStopped, Admin: AdminForcedMaint}
	srv := func(name string, s ServerState) ServerState { s.Server = name; return s }
	c := Change{Orig: s1, New: s2, Others: []Target{s3, s4}}
	tests := []struct {
		name  string
		check func(backendView, Change) error
		v     backendView
		err   string
	}{
		{"stopped", checkStopped, view(srv("server1", maint), srv("db2", up)), ""},
		{"not stopped", checkStopped, view(srv("server1", up)), "mysql/server1 ready (running, admin 0x0) is still ready, want maint"},
		{"drain is not stopped", checkStopped, view(srv("server1", ServerState{Op: OpRunning, Admin: AdminForcedDrain})), "is still drain, want maint"},
		{"open", checkOpen, view(srv("server1", maint), srv("db2", up), srv("server3", maint)), ""},
		{"open, ready after disabled", checkOpen, view(srv("server1", maint), srv("db2", ServerState{Op: OpRunning, Admin: AdminConfigMaint})), ""},
		{"new master down", checkOpen, view(srv("server1", maint), srv("db2", ServerState{Op: OpStopped})),
			"new master's mysql/db2 ready (stopped, admin 0x0) does not take traffic yet, want ready and up"},
		{"new master in maint", checkOpen, view(srv("db2", maint)), "does not take traffic yet"},
		{"other still ready", checkOpen, view(srv("server1", maint), srv("db2", up), srv("server3", up)),
			"mysql/server3 ready (running, admin 0x0) for [server3] db3(10.0.0.3:3306) is still ready, want maint"},
		{"old master still ready", checkOpen, view(srv("server1", up), srv("db2", up)), "mysql/server1 ready (running, admin 0x0) for [server1]"},
		{"new master missing", checkOpen, view(srv("server1", maint)), "backend mysql has no server db2 for [server2]"},
	}
	for _, tt := range tests {
		err := tt.check(tt.v, c)
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
}
