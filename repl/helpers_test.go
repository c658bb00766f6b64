package repl

import (
	"errors"
	"strings"
	"testing"
)

// wantParseError checks that err is a *ParseError of kind at byte pos whose
// message contains msg.
func wantParseError(t *testing.T, err error, kind string, pos int, msg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want *ParseError", err, err)
	}
	if pe.Kind != kind {
		t.Errorf("Kind = %q, want %q", pe.Kind, kind)
	}
	if pos >= 0 && pe.Pos != pos {
		t.Errorf("Pos = %d, want %d (error: %v)", pe.Pos, pos, err)
	}
	if !strings.Contains(pe.Msg, msg) {
		t.Errorf("Msg = %q, want it to contain %q", pe.Msg, msg)
	}
}
