package main

import (
	"io"
	"log/slog"
	"os"
)

// stderrIsTerminal tells whether mhago was run by hand: its stderr is a
// terminal, not cron's mail or a file.
var stderrIsTerminal = func() bool { return isTerminal(os.Stderr) }

// terminalLevel decides what of the log also goes to the terminal when
// manager_log takes it: nothing unless run by hand (cron stays quiet);
// then warnings and errors, which the operator must see now (the progress
// lines already show each step), or the --log-level given explicitly.
func terminalLevel(interactive bool, flagLevel *slog.Level) (slog.Level, bool) {
	switch {
	case !interactive:
		return 0, false
	case flagLevel != nil:
		return *flagLevel, true
	}
	return slog.LevelWarn, true
}

// teeHandler is the handler of a log written to manager_log at fileLevel
// and, when terminalLevel says so, to the terminal as well.
func teeHandler(file io.Writer, fileLevel slog.Level, term io.Writer, flagLevel *slog.Level) slog.Handler {
	h := slog.Handler(slog.NewTextHandler(file, &slog.HandlerOptions{Level: fileLevel}))
	if level, ok := terminalLevel(stderrIsTerminal(), flagLevel); ok {
		h = slog.NewMultiHandler(h, slog.NewTextHandler(term, &slog.HandlerOptions{Level: level}))
	}
	return h
}
