package nodeagent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhago/mhago/nodeagent/proto"
)

func TestPlanChanges(t *testing.T) {
	packet := proto.SettingChange{Variable: proto.VarMaxAllowedPacket, Was: "16777216", Set: "1073741824"}
	superRO := proto.SettingChange{Variable: proto.VarSuperReadOnly, Was: "ON", Set: "OFF"}
	cases := []struct {
		name string
		vars map[string]string
		want []proto.SettingChange
	}{
		{"MariaDB 10.11: no super_read_only", map[string]string{"max_allowed_packet": "16777216", "read_only": "ON"}, []proto.SettingChange{packet}},
		{"MySQL, super_read_only on", map[string]string{"max_allowed_packet": "16777216", "read_only": "ON", "super_read_only": "ON"}, []proto.SettingChange{packet, superRO}},
		{"MySQL, super_read_only off", map[string]string{"max_allowed_packet": "16777216", "read_only": "ON", "super_read_only": "OFF"}, []proto.SettingChange{packet}},
		{"already at the maximum", map[string]string{"max_allowed_packet": "1073741824", "super_read_only": "OFF"}, nil},
		{"unreadable value left alone", map[string]string{"max_allowed_packet": "lots"}, nil},
		{"nothing known", map[string]string{}, nil},
	}
	for _, c := range cases {
		got := planChanges(c.vars)
		if len(got) != len(c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
			}
		}
	}
}

func TestRestoreStep(t *testing.T) {
	packet := proto.SettingChange{Variable: proto.VarMaxAllowedPacket, Was: "16777216", Set: "1073741824"}
	superRO := proto.SettingChange{Variable: proto.VarSuperReadOnly, Was: "ON", Set: "OFF"}
	cases := []struct {
		name       string
		ch         proto.SettingChange
		now        map[string]string
		stmt, note string
	}{
		{"raised: put back", packet, map[string]string{"max_allowed_packet": "1073741824"}, "SET GLOBAL max_allowed_packet = 16777216", ""},
		{"already back (server restarted)", packet, map[string]string{"max_allowed_packet": "16777216"}, "", "already back at 16777216"},
		{"changed by someone since", packet, map[string]string{"max_allowed_packet": "67108864"}, "", "changed to 67108864 since the apply set 1073741824: left as it is"},
		{"variable gone", packet, map[string]string{}, "", "the server no longer has this variable"},
		{"switched off, still read-only: on again", superRO, map[string]string{"super_read_only": "OFF", "read_only": "ON"}, "SET GLOBAL super_read_only = 1", ""},
		{"made writable since: stays off", superRO, map[string]string{"super_read_only": "OFF", "read_only": "OFF"}, "", "the server is writable now (read_only is OFF): left OFF"},
		{"a tampered record runs nothing", proto.SettingChange{Variable: proto.VarMaxAllowedPacket, Was: "1; DROP TABLE t", Set: "1073741824"},
			map[string]string{"max_allowed_packet": "1073741824"}, "", `refusing to set max_allowed_packet to "1; DROP TABLE t"`},
		{"an unknown variable runs nothing", proto.SettingChange{Variable: "sql_log_bin", Was: "1", Set: "0"},
			map[string]string{"sql_log_bin": "0"}, "", `refusing to set sql_log_bin to "1"`},
	}
	for _, c := range cases {
		stmt, note := restoreStep(c.ch, c.now)
		if stmt != c.stmt || note != c.note {
			t.Errorf("%s: (%q, %q), want (%q, %q)", c.name, stmt, note, c.stmt, c.note)
		}
	}
}

func TestElideBase64(t *testing.T) {
	cases := []struct {
		name, in         string
		cutStart, cutEnd bool
		want             string
	}{
		{"client line quoting a BINLOG payload", "ERROR 1064 (42000) at line 3: ... near 'mJiYmJi+Q3kAAAAAAAAYmJiYmJi' at line 1", false, false,
			"ERROR 1064 (42000) at line 3: ... near '" + elided + "' at line 1"},
		{"one repetitive line (no digit, one case) by length", strings.Repeat("A", 76), false, false, elided},
		{"ordinary error line kept", "ERROR 2006 (HY000) at line 68213: Server has gone away", false, false,
			"ERROR 2006 (HY000) at line 68213: Server has gone away"},
		{"duplicate key kept", "ERROR 1062 (23000) at line 47: Duplicate entry '1234' for key 'PRIMARY'", false, false,
			"ERROR 1062 (23000) at line 47: Duplicate entry '1234' for key 'PRIMARY'"},
		{"paths and positions kept", "File '/var/lib/mysql/binlogs/mysql-bin.000123' not found; gtid 0-1-1234567", false, false,
			"File '/var/lib/mysql/binlogs/mysql-bin.000123' not found; gtid 0-1-1234567"},
		{"setting names kept", "max_allowed_packet=16777216 super_read_only=OFF", false, false, "max_allowed_packet=16777216 super_read_only=OFF"},
		{"a tail starting inside base64", "mJiYmJiY\nmariadb-binlog: the end", true, false, elided + "\nmariadb-binlog: the end"},
		{"a line cut inside base64", "ERROR 1064 (42000): near 'BINLOG QmJiYm", false, true, "ERROR 1064 (42000): near 'BINLOG " + elided},
		{"short words at a cut kept", "the end", true, true, "the end"},
	}
	for _, c := range cases {
		if got := elideBase64(c.in, c.cutStart, c.cutEnd); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// fakeServer is a fake MySQL server's global variables, served by
// fakeClient from one file per variable.
type fakeServer struct {
	t    *testing.T
	dir  string
	vars string
}

func newFakeServer(t *testing.T, vars map[string]string) *fakeServer {
	f := &fakeServer{t: t, dir: t.TempDir()}
	f.vars = filepath.Join(f.dir, "vars")
	if err := os.Mkdir(f.vars, 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range vars {
		f.set(k, v)
	}
	t.Setenv("FAKE_VARS", f.vars)
	t.Setenv("FAKE_DOWN", filepath.Join(f.dir, "down"))
	t.Setenv("FAKE_REFUSE", "")
	t.Setenv("FAKE_CLIENT", "ok")
	t.Setenv("FAKE_DECODER", "ok")
	return f
}

func (f *fakeServer) set(name, value string) {
	if err := os.WriteFile(filepath.Join(f.vars, name), []byte(value+"\n"), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeServer) get(name string) string {
	b, err := os.ReadFile(filepath.Join(f.vars, name))
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// connectedWith is the max_allowed_packet the replay client found.
func (f *fakeServer) connectedWith() string {
	b, _ := os.ReadFile(filepath.Join(f.dir, "connected_with"))
	return strings.TrimSpace(string(b))
}

// apply runs an apply through the fake tools into f, with lockDir as
// remote_workdir.
func (f *fakeServer) apply(bindir, lockDir string) proto.Response {
	_, resp := call(f.t, proto.CmdApply, proto.Request{Apply: &proto.ApplyRequest{
		Files: []string{filepath.Join(fixtures, "master-bin.000001")}, Host: "127.0.0.1", Port: 3306, User: "u", Password: "pw",
		ClientBindir: bindir, Workdir: f.t.TempDir(), LockDir: lockDir, RunID: "now", SkipExecuted: true}})
	return resp
}

func (f *fakeServer) want(vars map[string]string) {
	f.t.Helper()
	for k, v := range vars {
		if got := f.get(k); got != v {
			f.t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
}

func settingsLeftIn(dir string) bool {
	_, err := os.Stat(settingsPath(dir, 3306))
	return err == nil
}

// TestApplySettings: an apply into a MySQL server with super_read_only ON
// raises max_allowed_packet before its client connects, switches
// super_read_only off (read_only stays on) and puts both back, on success
// and on failure. A MariaDB server has no super_read_only, and nothing
// is assumed about it.
func TestApplySettings(t *testing.T) {
	bindir := fakeTools(t)
	mysql := map[string]string{"max_allowed_packet": "16777216", "read_only": "ON", "super_read_only": "ON"}
	t.Run("MySQL, success", func(t *testing.T) {
		f := newFakeServer(t, mysql)
		lockDir := t.TempDir()
		resp := f.apply(bindir, lockDir)
		if !resp.OK || len(resp.Apply.Settings) != 2 || !resp.Apply.Settings[0].Restored || !resp.Apply.Settings[1].Restored {
			t.Fatalf("apply: %+v %+v", resp.Error, resp.Apply)
		}
		if f.connectedWith() != "1073741824" {
			t.Errorf("the replay client connected with max_allowed_packet %q", f.connectedWith())
		}
		f.want(mysql)
		if settingsLeftIn(lockDir) {
			t.Error("settings record left after a finished apply")
		}
	})
	t.Run("MariaDB, client fails", func(t *testing.T) {
		f := newFakeServer(t, map[string]string{"max_allowed_packet": "16777216", "read_only": "ON"})
		t.Setenv("FAKE_CLIENT", "fail")
		resp := f.apply(bindir, t.TempDir())
		if resp.OK || resp.Apply == nil || len(resp.Apply.Settings) != 1 || resp.Apply.Settings[0].Variable != proto.VarMaxAllowedPacket || !resp.Apply.Settings[0].Restored {
			t.Fatalf("failed apply: %+v %+v", resp.Error, resp.Apply)
		}
		f.want(map[string]string{"max_allowed_packet": "16777216"})
		if _, err := os.Stat(filepath.Join(f.vars, "super_read_only")); err == nil {
			t.Error("super_read_only was set on a server that has none")
		}
	})
	t.Run("max_allowed_packet refused: a warning", func(t *testing.T) {
		f := newFakeServer(t, mysql)
		t.Setenv("FAKE_REFUSE", "max_allowed_packet")
		resp := f.apply(bindir, t.TempDir())
		if !resp.OK || !strings.Contains(resp.Apply.SettingsWarning, "max_allowed_packet on 127.0.0.1:3306 stays 16777216") || len(resp.Apply.Settings) != 1 {
			t.Fatalf("apply: %+v %+v", resp.Error, resp.Apply)
		}
		f.want(mysql)
	})
	t.Run("super_read_only refused: nothing applied", func(t *testing.T) {
		f := newFakeServer(t, mysql)
		t.Setenv("FAKE_REFUSE", "super_read_only")
		lockDir := t.TempDir()
		resp := f.apply(bindir, lockDir)
		if resp.OK || !strings.Contains(resp.Error.Message, "super_read_only is ON on 127.0.0.1:3306 and could not be switched off") ||
			f.connectedWith() != "" {
			t.Fatalf("apply: %+v, client connected with %q", resp.Error, f.connectedWith())
		}
		f.want(mysql)
		if settingsLeftIn(lockDir) {
			t.Error("settings record left after the change was undone")
		}
	})
}

// TestSettingsLeftBehind: an apply whose server went away cannot put the
// settings back; the record stays, status reports it, and status with
// credentials (or the next apply) puts the values back, except
// super_read_only on a server made writable since.
func TestSettingsLeftBehind(t *testing.T) {
	bindir := fakeTools(t)
	mysql := map[string]string{"max_allowed_packet": "16777216", "read_only": "ON", "super_read_only": "ON"}
	f := newFakeServer(t, mysql)
	lockDir := t.TempDir()
	t.Setenv("FAKE_CLIENT", "die")
	resp := f.apply(bindir, lockDir)
	if resp.OK || !strings.Contains(resp.Error.Message, "ERROR 2013") || !strings.Contains(resp.Error.Message, "the original values stay recorded in "+settingsPath(lockDir, 3306)) {
		t.Fatalf("apply into a server that died: %+v", resp.Error)
	}
	if !settingsLeftIn(lockDir) || f.get("max_allowed_packet") != "1073741824" || f.get("super_read_only") != "OFF" {
		t.Fatalf("record left %v, server %s/%s", settingsLeftIn(lockDir), f.get("max_allowed_packet"), f.get("super_read_only"))
	}
	os.Remove(filepath.Join(f.dir, "down")) // the server is back, with the values the apply set
	st := proto.StatusRequest{Workdir: t.TempDir(), LockDir: lockDir, Port: 3306, ClientBindir: bindir}
	_, sresp := call(t, proto.CmdStatus, proto.Request{Status: &st})
	if !sresp.OK || sresp.Status.SettingsLeft == nil || sresp.Status.SettingsLeft.RunID != "now" || len(sresp.Status.SettingsLeft.Changes) != 2 ||
		sresp.Status.SettingsLeft.Changes[0].Restored || !settingsLeftIn(lockDir) {
		t.Fatalf("status without credentials: %+v %+v", sresp.Error, sresp.Status)
	}
	f.set("read_only", "OFF") // made writable by hand meanwhile
	st.Host, st.User, st.Password = "127.0.0.1", "u", "pw"
	_, sresp = call(t, proto.CmdStatus, proto.Request{Status: &st})
	left := sresp.Status.SettingsLeft
	if !sresp.OK || left == nil || !left.Changes[0].Restored || left.Changes[1].Restored || !strings.Contains(left.Changes[1].Note, "writable now") {
		t.Fatalf("status with credentials: %+v %+v", sresp.Error, left)
	}
	f.want(map[string]string{"max_allowed_packet": "16777216", "super_read_only": "OFF", "read_only": "OFF"})
	if settingsLeftIn(lockDir) {
		t.Fatal("record kept after status settled it")
	}

	// The next apply finds a record of a dead apply and puts its values
	// back before recording its own.
	f = newFakeServer(t, map[string]string{"max_allowed_packet": "1073741824", "read_only": "ON", "super_read_only": "OFF"})
	rec := &proto.ApplySettings{RunID: "dead", Started: "2026-01-01T00:00:00Z", Changes: []proto.SettingChange{
		{Variable: proto.VarMaxAllowedPacket, Was: "4194304", Set: "1073741824"}, {Variable: proto.VarSuperReadOnly, Was: "ON", Set: "OFF"}}}
	if err := writeSettings(settingsPath(lockDir, 3306), rec); err != nil {
		t.Fatal(err)
	}
	resp = f.apply(bindir, lockDir)
	if !resp.OK || resp.Apply.SettingsLeft == nil || resp.Apply.SettingsLeft.RunID != "dead" || !resp.Apply.SettingsLeft.Changes[0].Restored ||
		!resp.Apply.SettingsLeft.Changes[1].Restored || len(resp.Apply.Settings) != 2 || resp.Apply.Settings[0].Was != "4194304" {
		t.Fatalf("next apply: %+v %+v", resp.Error, resp.Apply)
	}
	f.want(map[string]string{"max_allowed_packet": "4194304", "super_read_only": "ON", "read_only": "ON"})
	if settingsLeftIn(lockDir) {
		t.Fatal("record kept after the next apply")
	}
}
