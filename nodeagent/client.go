package nodeagent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// clientConn is how the agent reaches a server with the host's client: the
// client's path, where, and a 0600 option file with the credentials, so the
// password never appears in argv.
type clientConn struct {
	client   string
	defaults string
	host     string
	port     int
}

// connectTimeout bounds each connection attempt of the client: a server
// that does not answer must fail the call, not hang it.
const connectTimeout = "--connect-timeout=5"

// newClientConn finds the client and writes the option file into workdir;
// close removes it.
func newClientConn(bindir, workdir, host string, port int, user, password string) (*clientConn, error) {
	client, err := lookTool(bindir, "mariadb", "mysql")
	if err != nil {
		return nil, err
	}
	defaults, err := writeClientDefaults(workdir, user, password)
	if err != nil {
		return nil, err
	}
	return &clientConn{client: client, defaults: defaults, host: host, port: port}, nil
}

func (c *clientConn) close() { os.Remove(c.defaults) }

// args are the client's options; --defaults-extra-file must come first.
func (c *clientConn) args(extra ...string) []string {
	return append([]string{"--defaults-extra-file=" + c.defaults, connectTimeout,
		"--host=" + c.host, "--port=" + strconv.Itoa(c.port)}, extra...)
}

// query runs one statement and returns its rows, tab-separated.
func (c *clientConn) query(ctx context.Context, sql string) ([]string, error) {
	cmd := exec.CommandContext(ctx, c.client, c.args("--batch", "--skip-column-names", "-e", sql)...)
	var out bytes.Buffer
	log := &stderrLog{}
	cmd.Stdout, cmd.Stderr = &out, log
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("run %s against %s:%d: %w", c.client, c.host, c.port, ctx.Err())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil, &clientError{program: c.client, status: err, line: log.summary()}
	}
	if err != nil {
		return nil, fmt.Errorf("run %s against %s:%d: %w", c.client, c.host, c.port, err)
	}
	return strings.Split(strings.TrimRight(out.String(), "\n"), "\n"), nil
}

// clientError is a client that ran and failed: its exit status and its
// ERROR line, whose number (1045, 1062, 2013...) says why.
type clientError struct {
	program string
	status  error
	line    string
}

func (e *clientError) Error() string {
	return fmt.Sprintf("%s exited with %v: %s", e.program, e.status, e.line)
}

// code is the MySQL error number of the ERROR line, 0 without one.
func (e *clientError) code() int {
	rest, ok := strings.CutPrefix(e.line, "ERROR ")
	if !ok {
		return 0
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, _ := strconv.Atoi(rest[:end])
	return n
}

func lookTool(bindir string, names ...string) (string, error) {
	for _, n := range names {
		if bindir != "" {
			p := filepath.Join(bindir, n)
			if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
				return p, nil
			}
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	where := "PATH"
	if bindir != "" {
		where = bindir
	}
	return "", fmt.Errorf("none of %s found in %s (set client_bindir)", strings.Join(names, ", "), where)
}

// writeClientDefaults puts the credentials in a 0600 option file, so the
// password never appears in the client's argv.
func writeClientDefaults(workdir, user, password string) (string, error) {
	f, err := os.CreateTemp(workdir, ".client-*.cnf")
	if err != nil {
		return "", fmt.Errorf("create client option file in %s: %w", workdir, err)
	}
	defer f.Close()
	quote := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	_, err = io.WriteString(f, "[client]\nuser="+quote(user)+"\npassword="+quote(password)+"\n")
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write client option file %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// stderrLog keeps what matters of a program's stderr: its first line that
// starts with ERROR, and a short tail. Never the whole output, which can be
// kilobytes of base64 from a failed BINLOG statement, and never the base64
// itself (see elideBase64).
type stderrLog struct {
	mu    sync.Mutex
	line  []byte // the line being written
	cut   bool   // the line was longer than lineMax
	first string // first ERROR line
	tail  []byte // the last tailKeep bytes
}

const (
	lineMax  = 400 // longer lines are cut: a statement excerpt can be huge
	tailKeep = 300
)

func (l *stderrLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tail = append(l.tail, p...)
	if len(l.tail) > tailKeep {
		l.tail = append(l.tail[:0], l.tail[len(l.tail)-tailKeep:]...)
	}
	for _, b := range p {
		switch {
		case b == '\n':
			l.endLine()
		case len(l.line) < lineMax:
			l.line = append(l.line, b)
		default:
			l.cut = true
		}
	}
	return len(p), nil
}

func (l *stderrLog) endLine() {
	if l.first == "" && bytes.HasPrefix(l.line, []byte("ERROR")) {
		l.first = strings.TrimSpace(elideBase64(string(l.line), false, l.cut))
	}
	l.line, l.cut = l.line[:0], false
}

// hasError reports an ERROR line: mariadb-binlog prints one and still
// exits 0 when it cannot read an event.
func (l *stderrLog) hasError() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endLine()
	return l.first != ""
}

// summary is the first ERROR line, else the last lines of the output.
func (l *stderrLog) summary() string {
	if l.hasError() {
		return l.first
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := len(l.tail) == tailKeep
	s := strings.ToValidUTF8(strings.TrimSpace(elideBase64(string(l.tail), cut, false)), "?")
	if cut {
		s = "..." + s
	}
	if s == "" {
		return "(no output on stderr)"
	}
	return s
}

// elided replaces base64 in what the agent reports.
const elided = "[base64 elided]"

// elideBase64 replaces every run of base64 characters that looks like
// encoded data: a BINLOG statement's payload, which a client's ERROR line
// quotes ("near '...'") when the decoder died mid-statement, or a stderr
// tail shows. Such text is long, means nothing to a DBA and may hold row
// data. A run of 48 or more is elided; a shorter one from 16 when it has
// both cases or a '+', from 24 when it has digits and letters; a path
// (leading '/') of less than 48 is kept. A run cut off by the start
// (cutStart) or the end (cutEnd) of what was kept cannot be judged whole
// and is elided from 4 characters.
func elideBase64(s string, cutStart, cutEnd bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && isBase64Char(s[j]) {
			j++
		}
		if j == i {
			b.WriteByte(s[i])
			i++
			continue
		}
		run := s[i:j]
		atCut := cutStart && i == 0 || cutEnd && j == len(s)
		if looksEncoded(run) || atCut && len(run) >= 4 {
			b.WriteString(elided)
		} else {
			b.WriteString(run)
		}
		i = j
	}
	return b.String()
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

func looksEncoded(run string) bool {
	if len(run) >= 48 {
		return true
	}
	if len(run) < 16 || run[0] == '/' {
		return false
	}
	upper := strings.IndexFunc(run, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0
	lower := strings.IndexFunc(run, func(r rune) bool { return r >= 'a' && r <= 'z' }) >= 0
	digit := strings.IndexFunc(run, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0
	return upper && lower || strings.Contains(run, "+") || len(run) >= 24 && digit && (upper || lower)
}
