package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// hosts is the name table of stubResolve; other names fail to resolve.
var hosts = map[string]string{
	"host1": "10.0.0.1", "host2": "10.0.0.2", "host3": "10.0.0.3",
	"db101": "10.1.0.101", "db102": "10.1.0.102", "db103": "10.1.0.103", "db104": "10.1.0.104",
	"bastion10":           "172.16.0.10",
	"binlog1.example.com": "192.168.0.100",
	"db1.example.com":     "10.0.1.11", "db2.example.com": "10.0.1.12", "db3.example.com": "10.0.1.13",
	"db2-mgmt.example.com": "10.0.2.12",
	"v6host":               "fd00::5",
}

func stubResolve(host string) ([]string, error) {
	if ip, ok := hosts[host]; ok {
		return []string{ip}, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

var testEnv = map[string]string{
	"MHAGO_MYSQL_PASSWORD": "mysql-secret-pw",
	"MHAGO_REPL_PASSWORD":  "repl-secret-pw",
	"MHAGO_REDIS_PASSWORD": "redis-secret-pw",
}

func testOpts() LoadOptions {
	return LoadOptions{Getenv: mapEnv(testEnv), Resolve: stubResolve, Username: "tester", HomeDir: "/home/tester"}
}

// twoServers completes a [server default] snippet into a valid file.
const twoServers = "\n[server1]\nhostname=host1\n[server2]\nhostname=host2\n"

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := Parse("/etc/mhago/app1.cnf", []byte(text), testOpts())
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return cfg
}

// parseProblems parses text that must be invalid and returns its problems.
func parseProblems(t *testing.T, text string, opts LoadOptions) []Problem {
	t.Helper()
	_, err := Parse("/etc/mhago/app1.cnf", []byte(text), opts)
	if err == nil {
		t.Fatalf("Parse succeeded, want problems")
	}
	var pe *ProblemsError
	if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %T %v is not a *ProblemsError matching ErrInvalid", err, err)
	}
	return pe.Problems
}

func dumpProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}
