package replsql

import (
	"errors"
	"strings"

	"github.com/mhago/mhago/repl"
)

// ErrInvalidStatement: the parameters cannot make a valid statement for
// the server.
var ErrInvalidStatement = errors.New("invalid replication statement parameters")

// Statement is one statement for one server. The zero Statement is empty.
type Statement struct {
	text  string // what is sent
	shown string // text with every secret replaced by 'xxx'
	// secrets are the secret values, raw and as quoted in text, which
	// RedactError hides in a server's error message.
	secrets []string
}

// plain makes a statement without secrets.
func plain(text string) Statement { return Statement{text: text, shown: text} }

// SQL returns the text to send to the server. It may hold a password:
// never log it.
func (s Statement) SQL() string { return s.text }

// String returns the statement with its secrets shown as 'xxx', for logs,
// plans, reports and errors.
func (s Statement) String() string { return s.shown }

// GoString keeps %#v from printing the secret text.
func (s Statement) GoString() string { return "replsql.Statement(" + s.shown + ")" }

// IsZero reports whether s is the empty statement.
func (s Statement) IsZero() bool { return s.text == "" }

// RedactError hides the statement's secrets in err's message. A server
// quotes the statement in a syntax error ("... near 'MASTER_PASSWORD=...'"),
// which would otherwise carry a password into logs and reports. The
// result unwraps to err, so errors.Is and errors.As still see the cause.
// A password short enough to occur in ordinary words garbles the message;
// that is the lesser harm.
func (s Statement) RedactError(err error) error {
	if err == nil || len(s.secrets) == 0 {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, secret := range s.secrets {
		clean = strings.ReplaceAll(clean, secret, "xxx")
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Join formats statements as one line, "A; B; C", with secrets hidden.
func Join(stmts []Statement) string {
	parts := make([]string, len(stmts))
	for i, s := range stmts {
		parts[i] = s.String()
	}
	return strings.Join(parts, "; ")
}

// isMySQL reports whether v is a MySQL (not MariaDB) server at least
// major.minor.patch.
func isMySQL(v repl.Version, major, minor, patch int) bool {
	return !v.MariaDB && v.AtLeast(major, minor, patch)
}

// replicaWord is "REPLICA" on MySQL 8.0.22+ and "SLAVE" elsewhere (see
// the package comment for the sources).
func replicaWord(v repl.Version) string {
	if isMySQL(v, 8, 0, 22) {
		return "REPLICA"
	}
	return "SLAVE"
}

// quote makes s a SQL string literal. A quote is doubled, which is right
// whatever the sql_mode; a backslash is doubled, which is right unless
// NO_BACKSLASH_ESCAPES is set.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`)
	return "'" + r.Replace(s) + "'"
}
