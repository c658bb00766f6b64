package main

import (
	"errors"
	"io"
	"strings"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/report"
)

// With --json every invocation prints one document on stdout, and every
// document carries exit_code (the process's exit code) and status (a
// category: what check found, a run's outcome, or one of these).
const (
	statusOK          = "ok"
	statusUsageError  = "usage_error"
	statusConfigError = "config_error"
	statusError       = "error"
)

// runDocument is a failover, switchover or rejoin report as --json prints
// it: the report with the process's exit code, and its outcome as status.
type runDocument struct {
	ExitCode int    `json:"exit_code"`
	Status   string `json:"status"`
	*report.Report
}

func newRunDocument(safe *report.Report, runErr error) runDocument {
	return runDocument{ExitCode: exitCode(runErr), Status: safe.Outcome, Report: safe}
}

// cronDocument is check --failover-if-dead's one document: the check, and
// the failover it started or why it did not. ExitCode is the process's,
// the failover's when one ran; status stays what the check found.
type cronDocument struct {
	checks.Report
	Error    string       `json:"error,omitempty"`
	Failover *runDocument `json:"failover,omitempty"`
}

// errorDocument is printed when a command fails before it built its own
// document (a usage error, an unreadable config, a missing tool).
type errorDocument struct {
	ExitCode int           `json:"exit_code"`
	Status   string        `json:"status"`
	Healthy  bool          `json:"healthy"`
	Error    string        `json:"error"`
	Problems []problemJSON `json:"problems,omitempty"`
}

func newErrorDocument(err error) errorDocument {
	code := exitCode(err)
	doc := errorDocument{ExitCode: code, Status: statusError, Error: err.Error()}
	switch {
	case errors.Is(err, errUsage):
		doc.Status = statusUsageError
	case code == exitConfig:
		doc.Status = statusConfigError
	}
	var pe *config.ProblemsError
	if errors.As(err, &pe) {
		doc.Problems = problemsJSON(pe.Problems)
	}
	return doc
}

// wantsJSON tells whether the command line asks for --json, read from the
// arguments themselves: a usage error stops before any flag is parsed.
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch {
		case a == "--":
			return false
		case a == "--json" || a == "-json" || a == "--json=true" || a == "-json=true":
			return true
		}
	}
	return false
}

// writeErrorDocument prints err as the invocation's one document.
func writeErrorDocument(w io.Writer, err error) error {
	doc := newErrorDocument(err)
	doc.Error = strings.TrimSpace(doc.Error)
	return writeJSON(w, doc)
}
