package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

const examplePath = "../config.example.ini"

func TestExampleLoadsCleanly(t *testing.T) {
	c, err := Load(examplePath, testOpts())
	if err != nil {
		t.Fatalf("config.example.ini does not validate:\n%v", err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("config.example.ini has warnings:%s", dumpProblems(c.Warnings))
	}
	eq(t, c.App, "config.example")
	eq(t, len(c.Servers), 3)
	eq(t, c.Servers[0].Password.Reveal(), testEnv["MHAGO_MYSQL_PASSWORD"])
	eq(t, c.Servers[2].ReplPassword.Reveal(), testEnv["MHAGO_REPL_PASSWORD"])
	eq(t, c.Redis.Password.Reveal(), testEnv["MHAGO_REDIS_PASSWORD"])
	eq(t, c.Servers[1].SSHAddr(), "db2-mgmt.example.com:22")
	eq(t, c.Servers[1].SSHIP, "10.0.2.12")
	eq(t, c.Servers[2].NoMaster, true)
}

// TestExampleDocumentsEveryKey keeps the example from rotting: every key
// must appear (possibly commented out) right below a comment that says
// whether it is MHA-compatible or mhago only.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for _, key := range KnownKeys() {
		re := regexp.MustCompile(`^#?\s*` + regexp.QuoteMeta(key) + `\s*=`)
		i := firstMatch(lines, re)
		if i < 0 {
			t.Errorf("key %s is not in config.example.ini", key)
			continue
		}
		doc := commentAbove(lines, i)
		want := "MHA-compatible"
		if !keyDefs[key].mha {
			want = "mhago only"
		}
		if !strings.Contains(doc, want) {
			t.Errorf("key %s (line %d): comment above does not say %q:\n%s", key, i+1, want, doc)
		}
	}
}

func firstMatch(lines []string, re *regexp.Regexp) int {
	for i, l := range lines {
		if re.MatchString(l) {
			return i
		}
	}
	return -1
}

// commentAbove returns the block of # lines directly above line i.
func commentAbove(lines []string, i int) string {
	var doc []string
	for j := i - 1; j >= 0 && strings.HasPrefix(lines[j], "#"); j-- {
		doc = append(doc, lines[j])
	}
	return strings.Join(doc, "\n")
}
