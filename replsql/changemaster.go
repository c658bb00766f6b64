package replsql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mhago/mhago/repl"
)

// Mode is how replicas find their position on the new master.
type Mode int

// Replication modes. The zero Mode is invalid.
const (
	// ModeFilePos: binlog file and position (MHA's non-GTID failover).
	ModeFilePos Mode = iota + 1
	// ModeMariaGTID: MariaDB GTID, MASTER_USE_GTID=slave_pos.
	ModeMariaGTID
	// ModeMySQLAutoPos: MySQL GTID auto-positioning.
	ModeMySQLAutoPos
)

// String returns "file/pos", "mariadb-gtid", "mysql-auto-position" or
// "mode(N)" for invalid values.
func (m Mode) String() string {
	switch m {
	case ModeFilePos:
		return "file/pos"
	case ModeMariaGTID:
		return "mariadb-gtid"
	case ModeMySQLAutoPos:
		return "mysql-auto-position"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// ChangeMasterParams describe the CHANGE MASTER statement for one replica.
type ChangeMasterParams struct {
	// Flavor of the replica; zero means Version.Flavor().
	Flavor repl.Flavor
	// Version of the replica, which picks the syntax.
	Version repl.Version
	// Host of the new master: an IP if the replica used one, else a name.
	Host string
	// Port of the new master.
	Port int
	// User is the replication user.
	User string
	// Password is the replication password, sent only when PasswordSet.
	Password string
	// PasswordSet: repl_password is configured. Like MHA, MASTER_PASSWORD
	// is omitted otherwise: the replica keeps the password it has, which
	// after RESET SLAVE ALL is none.
	PasswordSet bool
	// Mode picks file/pos or a GTID mode.
	Mode Mode
	// File is the new master's binlog file; used only in ModeFilePos.
	File string
	// Pos is the new master's binlog position; used only in ModeFilePos.
	Pos uint64
	// GetPublicKey asks a MySQL 8.0.4+ replica to fetch the master's RSA
	// key (see CanGetPublicKey).
	GetPublicKey bool
}

// CanGetPublicKey reports whether v's CHANGE MASTER has
// GET_MASTER_PUBLIC_KEY (GET_SOURCE_PUBLIC_KEY from 8.0.23): MySQL 8.0.4
// and later, the releases with caching_sha2_password ("CHANGE MASTER TO
// Statement", MySQL 8.0 manual). A replication user with that plugin and
// no TLS cannot log in unless the IO thread asks the master for its RSA
// key; the option is ignored when the link uses TLS or another plugin.
// The key is taken from the network unverified, which a replica without
// TLS trusts anyway. MariaDB has no such option.
func CanGetPublicKey(v repl.Version) bool { return isMySQL(v, 8, 0, 4) }

// option is one "KEY=value" of the statement.
type option struct {
	key, value string
	secret     bool
}

// ChangeMaster builds the statement pointing a replica at a new master.
// MariaDB and MySQL before 8.0.23 get CHANGE MASTER TO MASTER_..., MySQL
// 8.0.23+ gets CHANGE REPLICATION SOURCE TO SOURCE_.... File/pos mode also
// turns GTID positioning off (MASTER_USE_GTID=no on MariaDB,
// MASTER_AUTO_POSITION=0 on MySQL 5.6.5+), since a reset replica may still
// have it on and would then ignore the coordinates. String values are
// quoted for the default sql_mode (backslash escapes on). The Statement's
// String shows the password as 'xxx'. The error wraps ErrInvalidStatement
// and never holds the password.
func ChangeMaster(p ChangeMasterParams) (Statement, error) {
	if p.Flavor == 0 {
		p.Flavor = p.Version.Flavor()
	}
	if err := p.validate(); err != nil {
		return Statement{}, err
	}
	verb, kw := changeSyntax(p.Flavor, p.Version)
	opts := []option{{kw + "HOST", quote(p.Host), false}, {kw + "PORT", strconv.Itoa(p.Port), false}, {kw + "USER", quote(p.User), false}}
	if p.PasswordSet {
		opts = append(opts, option{kw + "PASSWORD", quote(p.Password), true})
	}
	opts = append(opts, modeOptions(p, kw)...)
	if p.GetPublicKey {
		opts = append(opts, option{"GET_" + kw + "PUBLIC_KEY", "1", false})
	}
	s := Statement{text: render(verb, opts, false), shown: render(verb, opts, true)}
	if p.PasswordSet && p.Password != "" {
		quoted := quote(p.Password)
		s.secrets = []string{quoted[1 : len(quoted)-1], p.Password}
	}
	return s, nil
}

// PointAt returns CHANGE MASTER TO (or CHANGE REPLICATION SOURCE TO)
// naming only the master's address, for an operator's fix text. It is
// not a complete repoint: a replica given a new host forgets its
// coordinates, so the operator adds the master's binlog position or GTID
// positioning. The failover itself uses ChangeMaster.
func PointAt(v repl.Version, host string, port int) Statement {
	verb, kw := changeSyntax(v.Flavor(), v)
	return plain(render(verb, []option{{kw + "HOST", quote(host), false}, {kw + "PORT", strconv.Itoa(port), false}}, false))
}

// SetPasswordPlaceholder returns CHANGE MASTER TO (or CHANGE REPLICATION
// SOURCE TO) setting only the replication password, with placeholder in
// its place, for a fix text: the operator types the password; mhago never
// prints one.
func SetPasswordPlaceholder(v repl.Version, placeholder string) Statement {
	verb, kw := changeSyntax(v.Flavor(), v)
	return plain(render(verb, []option{{kw + "PASSWORD", quote(placeholder), false}}, false))
}

// changeSyntax returns the statement verb and the option prefix.
func changeSyntax(f repl.Flavor, v repl.Version) (verb, kw string) {
	if f == repl.FlavorMySQL && v.AtLeast(8, 0, 23) {
		return "CHANGE REPLICATION SOURCE TO", "SOURCE_"
	}
	return "CHANGE MASTER TO", "MASTER_"
}

// modeOptions returns the positioning options of p.Mode.
func modeOptions(p ChangeMasterParams, kw string) []option {
	switch p.Mode {
	case ModeMariaGTID:
		return []option{{"MASTER_USE_GTID", "slave_pos", false}}
	case ModeMySQLAutoPos:
		return []option{{kw + "AUTO_POSITION", "1", false}}
	}
	opts := []option{{kw + "LOG_FILE", quote(p.File), false}, {kw + "LOG_POS", strconv.FormatUint(p.Pos, 10), false}}
	switch {
	case p.Flavor == repl.FlavorMariaDB:
		opts = append(opts, option{"MASTER_USE_GTID", "no", false})
	case p.Version.AtLeast(5, 6, 5):
		opts = append(opts, option{kw + "AUTO_POSITION", "0", false})
	}
	return opts
}

// validate rejects parameters the server would refuse or misread.
func (p ChangeMasterParams) validate() error {
	var problems []string
	add := func(ok bool, msg string) {
		if !ok {
			problems = append(problems, msg)
		}
	}
	add(p.Flavor == repl.FlavorMySQL || p.Flavor == repl.FlavorMariaDB, "unknown server flavor")
	add(p.Host != "", "empty master host")
	add(p.Port > 0 && p.Port < 65536, fmt.Sprintf("port %d out of range", p.Port))
	add(p.User != "", "empty replication user")
	add(!strings.ContainsRune(p.Host+p.User+p.Password+p.File, 0), "NUL byte in a value")
	add(p.Mode != ModeFilePos || (p.File != "" && p.Pos >= 4), fmt.Sprintf("file/pos mode needs a binlog file and a position >= 4, got %q:%d", p.File, p.Pos))
	add(p.Mode >= ModeFilePos && p.Mode <= ModeMySQLAutoPos, "unknown mode "+p.Mode.String())
	add(p.Mode != ModeMariaGTID || p.Flavor == repl.FlavorMariaDB, "MariaDB GTID mode on a MySQL server")
	add(p.Mode != ModeMySQLAutoPos || p.Flavor == repl.FlavorMySQL, "MySQL auto-position on a MariaDB server")
	add(!p.GetPublicKey || (p.Flavor == repl.FlavorMySQL && p.Version.AtLeast(8, 0, 4)), "GET_PUBLIC_KEY needs MySQL 8.0.4 or later")
	if len(problems) > 0 {
		return fmt.Errorf("%w for master %s:%d: %s", ErrInvalidStatement, p.Host, p.Port, strings.Join(problems, "; "))
	}
	return nil
}

// render joins the options into the statement; redact hides secrets.
func render(verb string, opts []option, redact bool) string {
	parts := make([]string, len(opts))
	for i, o := range opts {
		v := o.value
		if redact && o.secret {
			v = "'xxx'"
		}
		parts[i] = o.key + "=" + v
	}
	return verb + " " + strings.Join(parts, ", ")
}
