package replsql

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// replicationSQL matches the text of a replication statement. Reading a
// variable (SELECT @@gtid_slave_pos, a name in a list, "name=%s" in a
// description) is not writing one, so the variables count only when set
// (SET ..., or name = a value).
var replicationSQL = regexp.MustCompile(`(?i)` + strings.Join([]string{
	`\b(START|STOP)\s+(SLAVE|REPLICA)\b`,
	`\bRESET\s+(SLAVE|REPLICA)\b`,
	`\bCHANGE\s+(MASTER|REPLICATION\s+SOURCE)\s+TO\b`,
	`\bSHOW\s+(SLAVE|REPLICA|MASTER|BINARY\s+LOG)\s+STATUS\b`,
	`\bSET\b[^;]*\b(gtid_slave_pos|super_read_only|read_only)\b`,
	`\b(gtid_slave_pos|super_read_only|read_only)\s*=\s*('|\d|ON\b|OFF\b|TRUE\b|FALSE\b)`,
	`\b(GET_LOCK|RELEASE_LOCK)\s*\(`,
}, "|"))

// guardSkipDirs are not product code. testenv/ sets up the test servers
// with its own hand-written statements on purpose: a fixture built with
// the code under test would share its bugs.
var guardSkipDirs = map[string]bool{"replsql": true, "testenv": true}

// guardAllowed are literals outside the scope of the change that moved
// replication SQL here, each to be routed through this package by its
// owner: file (slash path from the module root) to the statement it names.
var guardAllowed = map[string]string{
	// The operator advice after an incomplete abort names no host version.
	"report/actions.go": "Or run START SLAVE on them by hand.",
}

func TestReplicationSQLPattern(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"STOP SLAVE IO_THREAD", "start replica", "RESET SLAVE ALL", "RESET REPLICA", "CHANGE MASTER TO MASTER_HOST='x'",
		"CHANGE REPLICATION SOURCE TO", "SHOW SLAVE STATUS", "SHOW REPLICA STATUS", "SHOW MASTER STATUS", "SHOW BINARY LOG STATUS",
		"SET GLOBAL gtid_slave_pos = '0-1-2'", "SET GLOBAL read_only = 0", "set @@global.super_read_only=1", "read_only=1", "replica is writable (read_only=OFF)", "gtid_slave_pos = '0-1-2'",
		"SELECT GET_LOCK('MHA_Master_High_Availability_Failover', 1)", "SELECT RELEASE_LOCK('x')", "fix it, then START SLAVE SQL_THREAD"} {
		if !replicationSQL.MatchString(s) {
			t.Errorf("pattern misses %q", s)
		}
	}
	for _, s := range []string{"SELECT @@GLOBAL.gtid_slave_pos", "gtid_slave_pos", "super_read_only", "read_only", "Slave_IO_Running=No",
		"GRANT REPLICATION SLAVE ON *.*", "IO thread of server2 to stop", "replica is writable (read_only is OFF)", "SHOW GLOBAL VARIABLES",
		"log_bin=%s gtid_binlog_state=%s gtid_slave_pos=%s"} {
		if replicationSQL.MatchString(s) {
			t.Errorf("pattern matches %q, which is no replication statement", s)
		}
	}
}

// TestNoReplicationSQLOutsideReplsql fails on a string literal of a
// non-test file of the module, outside this package, that holds a
// replication statement: those are built here, in each server's syntax.
// Comments are prose and do not count.
func TestNoReplicationSQLOutsideReplsql(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	files := 0
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (guardSkipDirs[rel] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		files++
		seen[filepath.ToSlash(filepath.Dir(rel))] = true
		checkLiterals(t, path, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk must have reached the packages that send statements.
	for _, dir := range []string{"phases", "instance", "checks", "decide", "nodeagent", "report"} {
		if !seen[dir] {
			t.Errorf("the walk never reached %s/ (%d files checked)", dir, files)
		}
	}
}

// checkLiterals reports each string literal of one file that holds
// replication SQL.
func checkLiterals(t *testing.T, path, rel string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil || !replicationSQL.MatchString(s) || (guardAllowed[rel] != "" && strings.Contains(s, guardAllowed[rel])) {
			return true
		}
		t.Errorf("%s: replication SQL in a string literal: %s\n\tbuild it with package replsql, in the host's syntax",
			fset.Position(lit.Pos()), lit.Value)
		return true
	})
}
