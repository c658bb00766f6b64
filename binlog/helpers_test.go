package binlog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
)

const fixDir = "testdata/mariadb"

// needTool skips when a server binary is missing, but fails under CI=true.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (CI=true)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func fixtures(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(fixDir, pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no fixtures %s: %v", pattern, err)
	}
	sort.Strings(m)
	return m
}

func readAll(t testing.TB, path string) ([]Event, *Reader) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var evs []Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return evs, r
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		evs = append(evs, ev)
	}
}

var (
	atRe     = regexp.MustCompile(`(?m)^# at (\d+)$`)
	endPosRe = regexp.MustCompile(`(?m)^#\d{6} .* end_log_pos (\d+) `)
	gtidRe   = regexp.MustCompile(`(?m)\bGTID (\d+-\d+-\d+)`)
)

// mariadbBinlog runs mariadb-binlog on the files and returns its stdout; it
// fails the test on a non-zero exit status.
func mariadbBinlog(t testing.TB, args ...string) string {
	t.Helper()
	bin := needTool(t, "mariadb-binlog")
	cmd := exec.Command(bin, append([]string{"--no-defaults", "--base64-output=never"}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mariadb-binlog %v: %v: %s", args, err, stderr.String())
	}
	return out.String()
}

func ints(re *regexp.Regexp, s string) []int64 {
	var v []int64
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		v = append(v, n)
	}
	return v
}

func strs(re *regexp.Regexp, s string) []string {
	var v []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		v = append(v, m[1])
	}
	return v
}

func gtidsOf(evs []Event) []string {
	var g []string
	for _, e := range evs {
		if e.GTID != "" {
			g = append(g, e.GTID)
		}
	}
	return g
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
