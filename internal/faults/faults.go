// Package faults lets tests make mhago fail at a named point of a run: a
// panic inside a phase, a SIGKILL at a phase boundary or in the middle of
// a host's apply. The points are called by the product everywhere; they do
// something only in a binary built with -tags mhagofault and run with
// MHAGO_FAULT set, so a release binary cannot be made to fail this way.
//
// MHAGO_FAULT is a comma-separated list of ACTION@POINT[+DELAY]:
//
//	kill@before:4 replica recovery     SIGKILL at the start of that phase
//	panic@after:3.3 new master election panic at the end of that phase
//	kill@apply:server3+300ms           SIGKILL 300 ms after server3's apply started
//	pause@before:3.2 save dead master binlog
//	                                   stop there until a test has acted
//
// pause creates $MHAGO_FAULT_PAUSE_DIR/<point>.paused (the point with '/'
// and ' ' made '_') and waits, at most two minutes, until the test deletes
// it: a chaos test stops a replica or restarts Redis exactly at a phase
// boundary, so a seed replays the same story.
//
// Points are "before:<phase>", "after:<phase>" and "<step>:<host>".
package faults

import (
	"path/filepath"
	"strings"
)

// PauseFile is where a pause at point waits (see pause in on.go); the
// chaos suite deletes it to let the run go on.
func PauseFile(dir, point string) string {
	return filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(point)+".paused")
}

// Point names where a fault may strike.
func Point(kind, name string) string { return kind + ":" + name }
