package config

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input panics and that every failure is a
// *ProblemsError (never some other error type).
func FuzzParse(f *testing.F) {
	f.Add([]byte(twoServers))
	f.Add([]byte("[server default]\nuser=\"u\"\nping_interval=3\n" + twoServers))
	f.Add([]byte(twoServers + "[proxy1]\ntype=haproxy\nhaproxy_socket=/run/h.sock\nhaproxy_backend=b\nhaproxy_servers=server1=db1\n" +
		"[proxy2]\ntype=script\ncommand=/bin/lb\ntimeout=2s\n"))
	opts := testOpts()
	opts.SkipInitScript = true // never run commands chosen by the fuzzer
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.cnf", data, opts)
		if err == nil {
			if cfg == nil || len(cfg.Servers) < 2 {
				t.Fatalf("accepted config with %d servers", len(cfg.Servers))
			}
			return
		}
		var pe *ProblemsError
		if !errors.As(err, &pe) || len(pe.Problems) == 0 || !errors.Is(err, ErrInvalid) {
			t.Fatalf("error is not a non-empty *ProblemsError: %T %v", err, err)
		}
	})
}
