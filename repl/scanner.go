package repl

import "fmt"

// scanner walks over a text being parsed and builds ParseErrors that point
// at the offending byte.
type scanner struct {
	in   string
	i    int
	kind string
}

// isSpace reports the whitespace MySQL's and MariaDB's parsers skip.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (sc *scanner) eof() bool { return sc.i >= len(sc.in) }

// peek returns the current byte, or 0 at the end of the input.
func (sc *scanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.in[sc.i]
}

func (sc *scanner) skipSpace() {
	for !sc.eof() && isSpace(sc.in[sc.i]) {
		sc.i++
	}
}

// accept consumes c if it is the current byte.
func (sc *scanner) accept(c byte) bool {
	if sc.peek() != c || sc.eof() {
		return false
	}
	sc.i++
	return true
}

// near quotes the input from the current position, for error messages.
func (sc *scanner) near() string {
	if sc.eof() {
		return "end of input"
	}
	rest := sc.in[sc.i:]
	if len(rest) > 20 {
		return fmt.Sprintf("%q...", rest[:20])
	}
	return fmt.Sprintf("%q", rest)
}

// errAt builds a ParseError at byte offset pos.
func (sc *scanner) errAt(pos int, format string, args ...any) *ParseError {
	return &ParseError{Kind: sc.kind, Input: sc.in, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// expected builds a ParseError at the current position saying what was
// expected and what was found instead.
func (sc *scanner) expected(what string) *ParseError {
	return sc.errAt(sc.i, "expected %s, found %s", what, sc.near())
}

// number reads an unsigned decimal number no greater than max. what names the
// number in error messages.
func (sc *scanner) number(what string, max uint64) (uint64, error) {
	start := sc.i
	var n uint64
	for !sc.eof() && isDigit(sc.in[sc.i]) {
		d := uint64(sc.in[sc.i] - '0')
		if n > (max-d)/10 {
			return 0, sc.errAt(start, "%s %s is larger than %d", what, sc.digitsFrom(start), max)
		}
		n = n*10 + d
		sc.i++
	}
	if sc.i == start {
		return 0, sc.expected(what)
	}
	return n, nil
}

// digitsFrom returns the run of digits starting at pos, shortened.
func (sc *scanner) digitsFrom(pos int) string {
	end := pos
	for end < len(sc.in) && isDigit(sc.in[end]) && end-pos < 30 {
		end++
	}
	return fmt.Sprintf("%q", sc.in[pos:end])
}
