package replsql

import (
	"errors"
	"strings"
	"testing"

	"github.com/mhago/mhago/repl"
)

func mariaParams() ChangeMasterParams {
	return ChangeMasterParams{Version: version("10.11.6-MariaDB-log"), Host: "127.0.0.2", Port: 3306,
		User: "repl", Password: "s3cret", PasswordSet: true, Mode: ModeFilePos, File: "mysql-bin.000012", Pos: 328}
}

func mysqlParams(v string) ChangeMasterParams {
	p := mariaParams()
	p.Version = version(v)
	return p
}

func TestChangeMaster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		edit         func(*ChangeMasterParams)
		want, redact string
	}{
		{"MariaDB file/pos turns GTID positioning off", func(p *ChangeMasterParams) {},
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='s3cret', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no",
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no"},
		{"MariaDB GTID uses slave_pos and no coordinates", func(p *ChangeMasterParams) { p.Mode = ModeMariaGTID },
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='s3cret', MASTER_USE_GTID=slave_pos",
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_USE_GTID=slave_pos"},
		{"unset repl_password omits MASTER_PASSWORD, as MHA does", func(p *ChangeMasterParams) { p.PasswordSet = false },
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no",
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no"},
		{"an empty password that is set is sent", func(p *ChangeMasterParams) { p.Password = "" },
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no",
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no"},
		{"quotes and backslashes in values are escaped", func(p *ChangeMasterParams) { p.User, p.Password = `o'neil`, `a\'b` },
			`CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='o''neil', MASTER_PASSWORD='a\\''b', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no`,
			`CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='o''neil', MASTER_PASSWORD='xxx', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no`},
		{"flavor can be given explicitly", func(p *ChangeMasterParams) {
			p.Flavor, p.Version = repl.FlavorMariaDB, repl.Version{Major: 10, Minor: 6}
		},
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='s3cret', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no",
			"CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_USE_GTID=no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mariaParams()
			tc.edit(&p)
			checkChangeMaster(t, p, tc.want, tc.redact)
		})
	}
}

func TestChangeMasterMySQL(t *testing.T) {
	t.Parallel()
	const old = "CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='s3cret', "
	const src = "CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.2', SOURCE_PORT=3306, SOURCE_USER='repl', SOURCE_PASSWORD='s3cret', "
	tests := []struct {
		name, version string
		mode          Mode
		publicKey     bool
		want          string
	}{
		{"MySQL 5.5 file/pos has no AUTO_POSITION", "5.5.62-log", ModeFilePos, false,
			old + "MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328"},
		{"MySQL 5.7 file/pos turns auto-position off", "5.7.44-log", ModeFilePos, false,
			old + "MASTER_LOG_FILE='mysql-bin.000012', MASTER_LOG_POS=328, MASTER_AUTO_POSITION=0"},
		{"MySQL 5.7 GTID uses MASTER_AUTO_POSITION=1", "5.7.44-log", ModeMySQLAutoPos, false,
			old + "MASTER_AUTO_POSITION=1"},
		{"MySQL 8.0.22 still uses CHANGE MASTER, with GET_MASTER_PUBLIC_KEY", "8.0.22", ModeMySQLAutoPos, true,
			old + "MASTER_AUTO_POSITION=1, GET_MASTER_PUBLIC_KEY=1"},
		{"MySQL 8.0.23 uses CHANGE REPLICATION SOURCE", "8.0.23", ModeFilePos, false,
			src + "SOURCE_LOG_FILE='mysql-bin.000012', SOURCE_LOG_POS=328, SOURCE_AUTO_POSITION=0"},
		{"MySQL 8.4 GTID with caching_sha2_password asks for the public key", "8.4.3", ModeMySQLAutoPos, true,
			src + "SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mysqlParams(tc.version)
			p.Mode, p.GetPublicKey = tc.mode, tc.publicKey
			checkChangeMaster(t, p, tc.want, strings.Replace(tc.want, "'s3cret'", "'xxx'", 1))
		})
	}
}

func checkChangeMaster(t *testing.T, p ChangeMasterParams, want, redact string) {
	t.Helper()
	s, err := ChangeMaster(p)
	if err != nil {
		t.Fatalf("ChangeMaster: %v", err)
	}
	stmt, red := s.SQL(), s.String()
	if stmt != want {
		t.Errorf("stmt =\n%s\nwant\n%s", stmt, want)
	}
	if red != redact {
		t.Errorf("redacted =\n%s\nwant\n%s", red, redact)
	}
	if p.PasswordSet && p.Password != "" && strings.Contains(red, p.Password) {
		t.Errorf("redacted text leaks the password: %s", red)
	}
}

func TestChangeMasterRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*ChangeMasterParams)
		wantMsg string
	}{
		{"empty host", func(p *ChangeMasterParams) { p.Host = "" }, "empty master host"},
		{"port zero", func(p *ChangeMasterParams) { p.Port = 0 }, "port 0 out of range"},
		{"port too big", func(p *ChangeMasterParams) { p.Port = 70000 }, "port 70000 out of range"},
		{"empty user", func(p *ChangeMasterParams) { p.User = "" }, "empty replication user"},
		{"NUL in password", func(p *ChangeMasterParams) { p.Password = "a\x00b" }, "NUL byte"},
		{"file/pos without a file", func(p *ChangeMasterParams) { p.File = "" }, "needs a binlog file"},
		{"file/pos before the binlog header", func(p *ChangeMasterParams) { p.Pos = 3 }, "position >= 4"},
		{"zero mode", func(p *ChangeMasterParams) { p.Mode = 0 }, "unknown mode mode(0)"},
		{"MySQL auto-position on MariaDB", func(p *ChangeMasterParams) { p.Mode = ModeMySQLAutoPos }, "MySQL auto-position on a MariaDB server"},
		{"MariaDB GTID on MySQL", func(p *ChangeMasterParams) { p.Version, p.Mode = version("8.0.36"), ModeMariaGTID }, "MariaDB GTID mode on a MySQL server"},
		{"public key on MariaDB", func(p *ChangeMasterParams) { p.GetPublicKey = true }, "GET_PUBLIC_KEY needs MySQL 8.0.4"},
		{"public key on MySQL 5.7", func(p *ChangeMasterParams) { p.Version, p.GetPublicKey = version("5.7.44"), true }, "GET_PUBLIC_KEY needs MySQL 8.0.4"},
		{"unknown flavor", func(p *ChangeMasterParams) { p.Flavor = 7 }, "unknown server flavor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mariaParams()
			tc.edit(&p)
			s, err := ChangeMaster(p)
			if !errors.Is(err, ErrInvalidStatement) || !s.IsZero() {
				t.Fatalf("ChangeMaster = %q, %v; want ErrInvalidStatement", s, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q lacks %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestModeString(t *testing.T) {
	t.Parallel()
	for m, want := range map[Mode]string{ModeFilePos: "file/pos", ModeMariaGTID: "mariadb-gtid", ModeMySQLAutoPos: "mysql-auto-position", 9: "mode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", int(m), got, want)
		}
	}
}
