package replsql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/repl"
)

func version(s string) repl.Version {
	v, err := repl.ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// texts are the SQL texts of every builder for one server version.
type texts struct {
	start, stop, startIO, stopIO, startSQL, stopSQL string
	reset, resetAll, showReplica, showBinlog        string
	writable, superRO, pointAt                      string
	publicKey                                       bool
	changeMaster, changeMasterShown                 string
}

// A replication user and password that need escaping, and a host name.
const (
	tUser     = `repl'o\x`
	tPassword = `p'w\d"`
)

// changeMasterFor builds the file/pos CHANGE MASTER of the table below,
// asking for the public key where the server has the option, as the
// failover does.
func changeMasterFor(t *testing.T, v repl.Version) Statement {
	t.Helper()
	s, err := ChangeMaster(ChangeMasterParams{Version: v, Host: "db-2.example", Port: 3307, User: tUser, Password: tPassword,
		PasswordSet: true, Mode: ModeFilePos, File: "mysql-bin.000012", Pos: 328, GetPublicKey: CanGetPublicKey(v)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildersPerVersion(t *testing.T) {
	t.Parallel()
	const (
		oldCM  = `CHANGE MASTER TO MASTER_HOST='db-2.example', MASTER_PORT=3307, MASTER_USER='repl''o\\x', MASTER_PASSWORD=`
		srcCM  = `CHANGE REPLICATION SOURCE TO SOURCE_HOST='db-2.example', SOURCE_PORT=3307, SOURCE_USER='repl''o\\x', SOURCE_PASSWORD=`
		pw     = `'p''w\\d"'`
		hidden = `'xxx'`
	)
	tests := []struct {
		version string
		want    texts
	}{
		{"10.5.24-MariaDB-log", texts{"START SLAVE", "STOP SLAVE", "START SLAVE IO_THREAD", "STOP SLAVE IO_THREAD", "START SLAVE SQL_THREAD", "STOP SLAVE SQL_THREAD",
			"RESET SLAVE", "RESET SLAVE ALL", "SHOW SLAVE STATUS", "SHOW MASTER STATUS",
			"SET GLOBAL read_only = 0", "", "CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306", false,
			oldCM + pw + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no",
			oldCM + hidden + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no"}},
		{"10.11.19-MariaDB-0+deb12u1-log", texts{"START SLAVE", "STOP SLAVE", "START SLAVE IO_THREAD", "STOP SLAVE IO_THREAD", "START SLAVE SQL_THREAD", "STOP SLAVE SQL_THREAD",
			"RESET SLAVE", "RESET SLAVE ALL", "SHOW SLAVE STATUS", "SHOW MASTER STATUS",
			"SET GLOBAL read_only = 0", "", "CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306", false,
			oldCM + pw + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no",
			oldCM + hidden + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no"}},
		{"5.7.44-log", texts{"START SLAVE", "STOP SLAVE", "START SLAVE IO_THREAD", "STOP SLAVE IO_THREAD", "START SLAVE SQL_THREAD", "STOP SLAVE SQL_THREAD",
			"RESET SLAVE", "RESET SLAVE ALL", "SHOW SLAVE STATUS", "SHOW MASTER STATUS",
			"SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0", "SET GLOBAL super_read_only = 1",
			"CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306", false,
			oldCM + pw + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_AUTO_POSITION=0",
			oldCM + hidden + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_AUTO_POSITION=0"}},
		{"8.0.21", texts{"START SLAVE", "STOP SLAVE", "START SLAVE IO_THREAD", "STOP SLAVE IO_THREAD", "START SLAVE SQL_THREAD", "STOP SLAVE SQL_THREAD",
			"RESET SLAVE", "RESET SLAVE ALL", "SHOW SLAVE STATUS", "SHOW MASTER STATUS",
			"SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0", "SET GLOBAL super_read_only = 1",
			"CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306", true,
			oldCM + pw + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_AUTO_POSITION=0, GET_MASTER_PUBLIC_KEY=1",
			oldCM + hidden + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_AUTO_POSITION=0, GET_MASTER_PUBLIC_KEY=1"}},
		{"8.0.22", texts{"START REPLICA", "STOP REPLICA", "START REPLICA IO_THREAD", "STOP REPLICA IO_THREAD", "START REPLICA SQL_THREAD", "STOP REPLICA SQL_THREAD",
			"RESET REPLICA", "RESET REPLICA ALL", "SHOW REPLICA STATUS", "SHOW MASTER STATUS",
			"SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0", "SET GLOBAL super_read_only = 1",
			"CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306", true,
			oldCM + pw + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_AUTO_POSITION=0, GET_MASTER_PUBLIC_KEY=1",
			oldCM + hidden + ", MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_AUTO_POSITION=0, GET_MASTER_PUBLIC_KEY=1"}},
		{"8.0.23", texts{"START REPLICA", "STOP REPLICA", "START REPLICA IO_THREAD", "STOP REPLICA IO_THREAD", "START REPLICA SQL_THREAD", "STOP REPLICA SQL_THREAD",
			"RESET REPLICA", "RESET REPLICA ALL", "SHOW REPLICA STATUS", "SHOW MASTER STATUS",
			"SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0", "SET GLOBAL super_read_only = 1",
			"CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.1', SOURCE_PORT=3306", true,
			srcCM + pw + ", SOURCE_LOG_FILE='mysql-bin.000012', SOURCE_LOG_POS=328, SOURCE_AUTO_POSITION=0, GET_SOURCE_PUBLIC_KEY=1",
			srcCM + hidden + ", SOURCE_LOG_FILE='mysql-bin.000012', SOURCE_LOG_POS=328, SOURCE_AUTO_POSITION=0, GET_SOURCE_PUBLIC_KEY=1"}},
		{"8.2.0", texts{"START REPLICA", "STOP REPLICA", "START REPLICA IO_THREAD", "STOP REPLICA IO_THREAD", "START REPLICA SQL_THREAD", "STOP REPLICA SQL_THREAD",
			"RESET REPLICA", "RESET REPLICA ALL", "SHOW REPLICA STATUS", "SHOW BINARY LOG STATUS",
			"SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0", "SET GLOBAL super_read_only = 1",
			"CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.1', SOURCE_PORT=3306", true,
			srcCM + pw + ", SOURCE_LOG_FILE='mysql-bin.000012', SOURCE_LOG_POS=328, SOURCE_AUTO_POSITION=0, GET_SOURCE_PUBLIC_KEY=1",
			srcCM + hidden + ", SOURCE_LOG_FILE='mysql-bin.000012', SOURCE_LOG_POS=328, SOURCE_AUTO_POSITION=0, GET_SOURCE_PUBLIC_KEY=1"}},
		{"8.4.3", texts{"START REPLICA", "STOP REPLICA", "START REPLICA IO_THREAD", "STOP REPLICA IO_THREAD", "START REPLICA SQL_THREAD", "STOP REPLICA SQL_THREAD",
			"RESET REPLICA", "RESET REPLICA ALL", "SHOW REPLICA STATUS", "SHOW BINARY LOG STATUS",
			"SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0", "SET GLOBAL super_read_only = 1",
			"CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.1', SOURCE_PORT=3306", true,
			srcCM + pw + ", SOURCE_LOG_FILE='mysql-bin.000012', SOURCE_LOG_POS=328, SOURCE_AUTO_POSITION=0, GET_SOURCE_PUBLIC_KEY=1",
			srcCM + hidden + ", SOURCE_LOG_FILE='mysql-bin.000012', SOURCE_LOG_POS=328, SOURCE_AUTO_POSITION=0, GET_SOURCE_PUBLIC_KEY=1"}},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			v := version(tc.version)
			if got := builtTexts(t, v); got != tc.want {
				t.Errorf("statements for %s =\n%#v\nwant\n%#v", tc.version, got, tc.want)
			}
		})
	}
}

// builtTexts runs every builder for v.
func builtTexts(t *testing.T, v repl.Version) texts {
	t.Helper()
	var got texts
	got.start, got.stop = Start(v, BothThreads).SQL(), Stop(v, BothThreads).SQL()
	got.startIO, got.stopIO = Start(v, IOThread).SQL(), Stop(v, IOThread).SQL()
	got.startSQL, got.stopSQL = Start(v, SQLThread).SQL(), Stop(v, SQLThread).SQL()
	got.reset, got.resetAll = Reset(v).SQL(), ResetAll(v).SQL()
	got.showReplica, got.showBinlog = ShowReplicaStatus(v).SQL(), ShowBinlogStatus(v).SQL()
	w := Writable(v)
	sqls := make([]string, len(w))
	for i, s := range w {
		sqls[i] = s.SQL()
	}
	got.writable = strings.Join(sqls, "; ")
	if s, err := SetSuperReadOnly(v, true); err == nil {
		got.superRO = s.SQL()
	} else if !errors.Is(err, ErrInvalidStatement) || HasSuperReadOnly(v) {
		t.Errorf("SetSuperReadOnly(%s): %v", v, err)
	}
	got.pointAt = PointAt(v, "10.0.0.1", 3306).SQL()
	got.publicKey = CanGetPublicKey(v)
	cm := changeMasterFor(t, v)
	got.changeMaster, got.changeMasterShown = cm.SQL(), cm.String()
	return got
}

func TestSuperReadOnlyBoundary(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"5.7.7": false, "5.7.8": true, "5.6.51-log": false, "8.4.0": true, "10.11.6-MariaDB": false, "11.4.2-MariaDB": false} {
		if got := HasSuperReadOnly(version(v)); got != want {
			t.Errorf("HasSuperReadOnly(%s) = %v, want %v", v, got, want)
		}
	}
	if s, err := SetSuperReadOnly(version("8.0.36"), false); err != nil || s.SQL() != "SET GLOBAL super_read_only = 0" {
		t.Errorf("SetSuperReadOnly(8.0.36, off) = %q, %v", s, err)
	}
	if got := SetReadOnly(true).SQL(); got != "SET GLOBAL read_only = 1" {
		t.Errorf("SetReadOnly(on) = %q", got)
	}
}

func TestPublicKeyBoundary(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"8.0.3": false, "8.0.4": true, "5.7.44": false, "9.1.0": true, "10.11.6-MariaDB": false} {
		if got := CanGetPublicKey(version(v)); got != want {
			t.Errorf("CanGetPublicKey(%s) = %v, want %v", v, got, want)
		}
	}
}

func TestPointAtQuotesTheHost(t *testing.T) {
	t.Parallel()
	got := PointAt(version("10.11.6-MariaDB"), `db'1\x`, 3306).SQL()
	if want := `CHANGE MASTER TO MASTER_HOST='db''1\\x', MASTER_PORT=3306`; got != want {
		t.Errorf("PointAt = %s, want %s", got, want)
	}
}

func TestSetPasswordPlaceholder(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{
		"10.11.6-MariaDB": `CHANGE MASTER TO MASTER_PASSWORD='<repl password>'`,
		"8.0.22":          `CHANGE MASTER TO MASTER_PASSWORD='<repl password>'`,
		"8.0.23":          `CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD='<repl password>'`,
	} {
		if got := SetPasswordPlaceholder(version(v), "<repl password>").String(); got != want {
			t.Errorf("%s: %s, want %s", v, got, want)
		}
	}
}

func TestSetGTIDSlavePos(t *testing.T) {
	t.Parallel()
	maria := version("10.11.6-MariaDB-log")
	tests := []struct {
		name, pos, want string
		v               repl.Version
		wantErr         bool
	}{
		{"one domain", "0-1-42", "SET GLOBAL gtid_slave_pos = '0-1-42'", maria, false},
		{"domains are written canonically", " 1-2-7 ,\n0-1-42 ", "SET GLOBAL gtid_slave_pos = '0-1-42,1-2-7'", maria, false},
		{"MariaDB 10.5 too", "0-1-42", "SET GLOBAL gtid_slave_pos = '0-1-42'", version("10.5.24-MariaDB"), false},
		{"empty position is refused", "", "", maria, true},
		{"garbage is refused", "0-1-x'; DROP TABLE t; --", "", maria, true},
		{"two GTIDs in one domain are refused", "0-1-4,0-2-5", "", maria, true},
		{"MySQL has no gtid_slave_pos", "0-1-42", "", version("8.0.36"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := SetGTIDSlavePos(tc.v, tc.pos)
			if (err != nil) != tc.wantErr || got.SQL() != tc.want {
				t.Fatalf("SetGTIDSlavePos(%q) = %q, %v; want %q, error %v", tc.pos, got, err, tc.want, tc.wantErr)
			}
			var pe *repl.ParseError
			if tc.wantErr && tc.pos != "" && tc.v.MariaDB && !errors.As(err, &pe) {
				t.Errorf("error %v does not wrap *repl.ParseError", err)
			}
			if tc.wantErr && !tc.v.MariaDB && !errors.Is(err, ErrInvalidStatement) {
				t.Errorf("error %v does not wrap ErrInvalidStatement", err)
			}
		})
	}
}

func TestFailoverLock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		wait time.Duration
		want string
	}{
		{200 * time.Second, "SELECT GET_LOCK('MHA_Master_High_Availability_Failover', 200)"},
		{1 * time.Second, "SELECT GET_LOCK('MHA_Master_High_Availability_Failover', 1)"},
		{1500 * time.Millisecond, "SELECT GET_LOCK('MHA_Master_High_Availability_Failover', 2)"},
		{0, "SELECT GET_LOCK('MHA_Master_High_Availability_Failover', 0)"},
		{-time.Second, "SELECT GET_LOCK('MHA_Master_High_Availability_Failover', 0)"},
	}
	for _, tc := range tests {
		if got := GetFailoverLock(tc.wait).SQL(); got != tc.want {
			t.Errorf("GetFailoverLock(%s) = %s, want %s", tc.wait, got, tc.want)
		}
	}
	if got, want := ReleaseFailoverLock().SQL(), "SELECT RELEASE_LOCK('MHA_Master_High_Availability_Failover')"; got != want {
		t.Errorf("ReleaseFailoverLock = %s, want %s", got, want)
	}
}

func TestSecretsStayHidden(t *testing.T) {
	t.Parallel()
	s := changeMasterFor(t, version("8.4.3"))
	for _, shown := range []string{s.String(), fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), Join([]Statement{Stop(version("8.4.3"), BothThreads), s})} {
		if strings.Contains(shown, `p''w\\d"`) || strings.Contains(shown, tPassword) {
			t.Errorf("formatted statement leaks the password: %s", shown)
		}
	}
	if !strings.Contains(s.SQL(), `SOURCE_PASSWORD='p''w\\d"'`) {
		t.Errorf("SQL lacks the password: %s", s.SQL())
	}
}

func TestRedactError(t *testing.T) {
	t.Parallel()
	s := changeMasterFor(t, version("10.11.6-MariaDB"))
	// What a server answers to a statement it cannot parse: the text from
	// the error on, quoted as sent.
	cause := &mysql.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax; check the manual near '" +
		s.SQL()[40:] + "' at line 1"}
	err := s.RedactError(fmt.Errorf("exec: %w", cause))
	if strings.Contains(err.Error(), `p''w\\d"`) || strings.Contains(err.Error(), tPassword) {
		t.Errorf("redacted error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "MASTER_PASSWORD='xxx'") {
		t.Errorf("redacted error lost its context: %v", err)
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1064 {
		t.Errorf("redacted error does not unwrap to the server error: %#v", err)
	}
	plainErr := errors.New("connection refused")
	if got := s.RedactError(plainErr); got != plainErr {
		t.Errorf("an error without the secret was rewrapped: %v", got)
	}
	if got := Stop(version("8.0.36"), BothThreads).RedactError(cause); got != error(cause) {
		t.Errorf("a statement without secrets rewrapped the error: %v", got)
	}
	if s.RedactError(nil) != nil {
		t.Error("RedactError(nil) != nil")
	}
}

func TestParallelApplier(t *testing.T) {
	maria := repl.Version{MariaDB: true, Major: 10, Minor: 11, Patch: 9}
	for _, tc := range []struct {
		name string
		v    repl.Version
		p    ParallelApplier
		want string
	}{
		{"MariaDB conservative", maria, ParallelApplier{4, "conservative"}, "SET GLOBAL slave_parallel_threads = 4, GLOBAL slave_parallel_mode = 'conservative'"},
		{"put back to none", maria, ParallelApplier{0, "optimistic"}, "SET GLOBAL slave_parallel_threads = 0, GLOBAL slave_parallel_mode = 'optimistic'"},
		{"MySQL has other variables", repl.Version{Major: 8, Minor: 0, Patch: 36}, ParallelApplier{4, "conservative"}, ""},
		{"unknown mode (no injection)", maria, ParallelApplier{4, "x'; DROP TABLE t; --"}, ""},
		{"negative threads", maria, ParallelApplier{-1, "none"}, ""},
	} {
		s, err := SetParallelApplier(tc.v, tc.p)
		if tc.want == "" {
			if !errors.Is(err, ErrInvalidStatement) {
				t.Errorf("%s: %q, %v; want refused", tc.name, s.SQL(), err)
			}
			continue
		}
		if err != nil || s.SQL() != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, s.SQL(), err, tc.want)
		}
		back, err := ParseParallelApplier(tc.p.String())
		if err != nil || back != tc.p {
			t.Errorf("%s: %q read back as %+v, %v", tc.name, tc.p.String(), back, err)
		}
	}
	if _, err := ParseParallelApplier("slave_parallel_threads=4"); err == nil {
		t.Error("a truncated setting was read back")
	}
}
