package proxy

import (
	"strings"
	"testing"
)

// FuzzParseServersState: no answer panics the parser, and a parsed answer
// has one row per data line, each with a backend and a server name.
func FuzzParseServersState(f *testing.F) {
	for _, name := range []string{"state-initial.txt", "state-all.txt", "state-writers.txt", "state-after.txt", "state-nobackend.txt"} {
		f.Add(readCapture(f, name))
	}
	f.Fuzz(func(t *testing.T, out string) {
		rows, err := ParseServersState(out)
		if err != nil {
			return
		}
		lines := 0
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[2:] {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(rows) != lines {
			t.Fatalf("%d rows from %d lines", len(rows), lines)
		}
		for _, r := range rows {
			if r.Backend == "" || r.Server == "" {
				t.Fatalf("row without names: %+v", r)
			}
		}
	})
}
