package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *ProblemsError, so callers can
// map "the configuration is wrong" to its own exit code without inspecting
// the individual problems.
var ErrInvalid = errors.New("invalid configuration")

// Problem is one thing wrong with the configuration, located as precisely as
// the source allows. Line is 0 when the problem concerns the file as a whole
// (for example "fewer than 2 servers").
type Problem struct {
	File    string
	Line    int
	Section string
	Key     string
	Msg     string
	Fix     string
}

// String formats the problem as "file:line: [section] key: msg (fix: ...)",
// dropping the parts that are empty.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Section != "" {
		fmt.Fprintf(&b, "[%s] ", p.Section)
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	if p.Fix != "" {
		fmt.Fprintf(&b, " (fix: %s)", p.Fix)
	}
	return b.String()
}

// ProblemsError carries every problem found by one load, so that an operator
// fixes the whole file in one pass instead of one error per run.
type ProblemsError struct {
	Problems []Problem
}

// Error prints one problem per line.
func (e *ProblemsError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is reports whether target is ErrInvalid.
func (e *ProblemsError) Is(target error) bool { return target == ErrInvalid }

// problems accumulates Problems during a load.
type problems struct {
	list []Problem
}

// add records p once: a bad inherited value is read by every server, but
// the operator needs to hear about its line only once.
func (ps *problems) add(p Problem) {
	for _, q := range ps.list {
		if q == p {
			return
		}
	}
	ps.list = append(ps.list, p)
}

// at records a problem located at a source value.
func (ps *problems) at(loc location, key, msg, fix string) {
	ps.add(Problem{File: loc.file, Line: loc.line, Section: loc.section, Key: key, Msg: msg, Fix: fix})
}

// err returns the problems, ordered like the files they point into: by file
// (in order of first mention), then by line, file-wide problems last.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	fileRank := map[string]int{}
	for _, p := range ps.list {
		if _, ok := fileRank[p.File]; !ok {
			fileRank[p.File] = len(fileRank)
		}
	}
	sorted := slices.Clone(ps.list)
	slices.SortStableFunc(sorted, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(fileRank[a.File], fileRank[b.File]),
			cmp.Compare(lineRank(a.Line), lineRank(b.Line)))
	})
	return &ProblemsError{Problems: sorted}
}

// lineRank sorts file-wide problems (line 0) after located ones.
func lineRank(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}
