package nodeagent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
)

// Fake tools for the pipeline's failure paths, which a real server cannot
// produce at will (a decoder that fails). The client answers the agent's
// -e queries as a MariaDB server with log_bin on would; in the pipeline it
// does what $FAKE_CLIENT says, the decoder what $FAKE_DECODER says.
// With $FAKE_VARS, a directory with one file per global variable, the
// client also serves SHOW GLOBAL VARIABLES and SET GLOBAL from it (as a
// MySQL server would, with super_read_only, which reads 1 and 0 back
// as ON and OFF); $FAKE_REFUSE names a
// variable whose SET fails, $FAKE_DOWN makes every query fail as against
// a stopped server. In the pipeline, the client writes the
// max_allowed_packet it connected with to $FAKE_VARS/../connected_with.
const fakeClient = `#!/bin/sh
prev=
for a in "$@"; do [ "$prev" = -e ] && sql=$a; prev=$a; done
if [ -n "$sql" ]; then
	[ -n "$FAKE_DOWN" ] && [ -f "$FAKE_DOWN" ] && { echo "ERROR 2002 (HY000): Can't connect to server" >&2; exit 1; }
	case "$sql" in
	*VERSION*) echo 10.11.0-MariaDB ;;
	*gtid_binlog_state*) printf '1\t\t\n' ;;
	*"SELECT 1"*) [ "$FAKE_CLIENT" = refuse ] && { echo "ERROR 1045 (28000): Access denied for user 'repl'@'h' (using password: YES)" >&2; exit 1; }; echo 1 ;;
	"SHOW GLOBAL VARIABLES"*) [ -n "$FAKE_VARS" ] && for f in "$FAKE_VARS"/*; do printf '%s\t%s\n' "$(basename "$f")" "$(cat "$f")"; done ;;
	"SET GLOBAL"*)
		set -- $sql
		[ "$3" = "$FAKE_REFUSE" ] && { echo "ERROR 1227 (42000): Access denied; you need (at least one of) the SUPER privilege(s) for this operation" >&2; exit 1; }
		v=$5; case "$3:$v" in *_read_only:1) v=ON ;; *_read_only:0) v=OFF ;; esac
		echo "$v" > "$FAKE_VARS/$3"
		[ "$3" = super_read_only ] && [ "$v" = ON ] && echo ON > "$FAKE_VARS/read_only"
		;;
	esac
	exit 0
fi
case "$*" in *--max-allowed-packet=1G*) ;; *) echo "ERROR: no --max-allowed-packet=1G in $*" >&2; exit 1 ;; esac
[ -n "$FAKE_VARS" ] && cat "$FAKE_VARS/max_allowed_packet" > "$FAKE_VARS/../connected_with"
read first
echo 42
case "$FAKE_CLIENT" in
fail) head -c 100000 >/dev/null; echo "ERROR 1062 (23000) at line 68213: Duplicate entry '1' for key 'PRIMARY'" >&2; exit 1 ;;
near) cat >/dev/null; echo "ERROR 1064 (42000) at line 3: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'mJiYmJi+Q3kAAAAAAAAYmJiYmJiYmJiYmJiYm' at line 1" >&2; exit 1 ;;
die) touch "$FAKE_DOWN"; echo "ERROR 2013 (HY000) at line 5: Lost connection to server during query" >&2; exit 1 ;;
*) cat >/dev/null ;;
esac
`

const fakeDecoder = `#!/bin/sh
[ "$1" = --help ] && { echo "  --gtid-strict-mode  Process binlog according to gtid-strict-mode"; exit 0; }
case "$FAKE_DECODER" in
endless) yes "BINLOG 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'" ;;
cutmid) printf "BINLOG '\nYmJiYmJiYmJi+Q3kAAAAAAAAYmJiYmJi\nmJiYmJi"; echo "ERROR: Error in Log_event::read_log_event(): 'Event truncated', data_len: 8192, event_type: 23" >&2 ;;
fail) echo "ERROR: Error in Log_event::read_log_event(): 'Found invalid event in binary log'" >&2; exit 1 ;;
errzero) echo "SELECT 1;"; echo "ERROR: Could not read entry at offset 4242: Error in log format or read error." >&2 ;;
*) echo "SELECT 1;" ;;
esac
`

// fakeApply applies a fixture through the fake tools and returns the
// response and how long it took.
func fakeApply(t *testing.T, client, decoder string) (proto.Response, time.Duration) {
	t.Helper()
	bindir := fakeTools(t)
	t.Setenv("FAKE_CLIENT", client)
	t.Setenv("FAKE_DECODER", decoder)
	work := t.TempDir()
	t0 := time.Now()
	_, resp := call(t, proto.CmdApply, proto.Request{Apply: &proto.ApplyRequest{
		Files: []string{filepath.Join(fixtures, "master-bin.000001")}, Host: "127.0.0.1", Port: 3306, User: "u", Password: "secret-pw",
		ClientBindir: bindir, Workdir: work, LockDir: work, RunID: "fake", SkipExecuted: true}})
	if left, _ := filepath.Glob(filepath.Join(work, "*")); len(left) != 1 || filepath.Base(left[0]) != "mhago-apply-3306.lock" {
		t.Errorf("left in the work directory: %v", left)
	}
	return resp, time.Since(t0)
}

// fakeTools writes the fake client and decoder into a fresh directory.
func fakeTools(t *testing.T) string {
	t.Helper()
	bindir := t.TempDir()
	for name, script := range map[string]string{"mariadb": fakeClient, "mariadb-binlog": fakeDecoder} {
		if err := os.WriteFile(filepath.Join(bindir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bindir
}

func TestReplayFailures(t *testing.T) {
	cases := []struct {
		name, client, decoder string
		want                  []string // in the error message
	}{
		{"client fails while the decoder has more to write", "fail", "endless",
			[]string{"/mariadb exited with exit status 1: ERROR 1062 (23000) at line 68213: Duplicate entry"}},
		{"decoder fails", "ok", "fail",
			[]string{"/mariadb-binlog exited with exit status 1: ERROR: Error in Log_event::read_log_event()"}},
		{"decoder reports an error and exits 0", "ok", "errzero",
			[]string{"/mariadb-binlog reported: ERROR: Could not read entry at offset 4242"}},
		{"decoder stops mid-statement and exits 0, the server quotes the base64", "near", "cutmid",
			[]string{"ERROR 1064 (42000) at line 3: You have an error", "near '" + elided + "' at line 1",
				"/mariadb-binlog reported: ERROR: Error in Log_event::read_log_event(): 'Event truncated'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, took := fakeApply(t, c.client, c.decoder)
			if resp.OK || resp.Error.Code != proto.CodeApplyFailed || took > 5*time.Second {
				t.Fatalf("after %s: %+v", took, resp.Error)
			}
			for _, w := range c.want {
				if !strings.Contains(resp.Error.Message, w) {
					t.Errorf("message lacks %q: %s", w, resp.Error.Message)
				}
			}
			if len(resp.Error.Message) > 800 || strings.Contains(resp.Error.Message, "AAAAAAAAAAAAAAAA") || strings.Contains(resp.Error.Message, "YmJi") ||
				strings.Contains(resp.Error.Message, "secret-pw") {
				t.Errorf("message carries output it should not: %s", resp.Error.Message)
			}
		})
	}
	resp, _ := fakeApply(t, "ok", "ok")
	if !resp.OK || !resp.Apply.Tracked || resp.Apply.Transactions == 0 || resp.Apply.Skipped != 0 {
		t.Fatalf("apply through well-behaved tools: %+v %+v", resp.Error, resp.Apply)
	}
}

func TestLoginResults(t *testing.T) {
	bindir := t.TempDir()
	if err := os.WriteFile(filepath.Join(bindir, "mariadb"), []byte(fakeClient), 0o755); err != nil {
		t.Fatal(err)
	}
	req := proto.LoginRequest{Host: "127.0.0.1", Port: 3306, User: "repl", Password: "pw", ClientBindir: bindir, Workdir: t.TempDir()}
	t.Setenv("FAKE_CLIENT", "refuse")
	_, resp := call(t, proto.CmdLogin, proto.Request{Login: &req})
	if !resp.OK || resp.Login.OK || resp.Login.ErrorCode != 1045 || !strings.HasPrefix(resp.Login.Message, "ERROR 1045 (28000)") {
		t.Fatalf("refused login: %+v %+v", resp.Error, resp.Login)
	}
	t.Setenv("FAKE_CLIENT", "ok")
	if _, resp = call(t, proto.CmdLogin, proto.Request{Login: &req}); !resp.OK || !resp.Login.OK {
		t.Fatalf("login: %+v %+v", resp.Error, resp.Login)
	}
	req.ClientBindir = "/nonexistent"
	if _, resp = call(t, proto.CmdLogin, proto.Request{Login: &req}); resp.OK || !strings.Contains(resp.Error.Message, "/nonexistent") {
		t.Fatalf("login without a client: %+v", resp)
	}
	if left, _ := os.ReadDir(req.Workdir); len(left) > 0 {
		t.Fatalf("option file left behind: %v", left)
	}
}

func TestStderrLog(t *testing.T) {
	var l stderrLog
	l.Write([]byte("Warning: something\nERROR 2013 (HY000) at line 12: Lost conn"))
	l.Write([]byte("ection to server during query\nERROR 2006 later\n"))
	if got := l.summary(); got != "ERROR 2013 (HY000) at line 12: Lost connection to server during query" {
		t.Fatalf("summary %q", got)
	}
	var noisy stderrLog
	noisy.Write([]byte(strings.Repeat("QUFBQUFB", 10000) + "\nthe end\n"))
	if got := noisy.summary(); len(got) > tailKeep+3 || !strings.HasSuffix(got, "the end") {
		t.Fatalf("summary of %d bytes: %q", len(got), got)
	}
	var long stderrLog
	long.Write([]byte("ERROR 1064 (42000): You have an error near '" + strings.Repeat("x", 5000) + "'\n"))
	if got := long.summary(); len(got) > lineMax || (&clientError{line: got}).code() != 1064 {
		t.Fatalf("long ERROR line kept as %d bytes", len(got))
	}
}
