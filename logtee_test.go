package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestTerminalLevel(t *testing.T) {
	debug := slog.LevelDebug
	for _, tc := range []struct {
		name        string
		interactive bool
		flag        *slog.Level
		want        slog.Level
		ok          bool
	}{
		{"cron: nothing on the terminal", false, nil, 0, false},
		{"cron with --log-level: still nothing", false, &debug, 0, false},
		{"by hand: warnings and errors", true, nil, slog.LevelWarn, true},
		{"by hand with --log-level debug", true, &debug, slog.LevelDebug, true},
	} {
		got, ok := terminalLevel(tc.interactive, tc.flag)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// Run by hand, manager_log gets every record of its level and the terminal
// the warnings too; from cron, the terminal gets nothing.
func TestTeeHandler(t *testing.T) {
	saved := stderrIsTerminal
	t.Cleanup(func() { stderrIsTerminal = saved })
	for _, interactive := range []bool{true, false} {
		stderrIsTerminal = func() bool { return interactive }
		var file, term bytes.Buffer
		log := slog.New(teeHandler(&file, slog.LevelInfo, &term, nil))
		log.Info("phase start", "phase", "3.4 diff generation")
		log.Warn("remove agent", "host", "server2")
		if !strings.Contains(file.String(), "phase start") || !strings.Contains(file.String(), "remove agent") {
			t.Errorf("interactive=%v: manager_log %q", interactive, file.String())
		}
		wantTerm := ""
		if interactive {
			wantTerm = "remove agent"
		}
		if strings.Contains(term.String(), "phase start") || (wantTerm != "" && !strings.Contains(term.String(), wantTerm)) || (wantTerm == "" && term.Len() > 0) {
			t.Errorf("interactive=%v: terminal %q", interactive, term.String())
		}
	}
}
