package repl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Coordinates is a position in a binary log or relay log: a file name such as
// "mysql-bin.000123" and a byte offset in it. The zero value means "no
// position".
type Coordinates struct {
	File string
	Pos  uint64
}

// ParseCoordinates parses "file:pos", e.g. "mysql-bin.000123:4". Whitespace
// around the file and the position is ignored. The file name must not be
// empty and must not contain ':', whitespace, control characters or invalid
// UTF-8.
func ParseCoordinates(s string) (Coordinates, error) {
	sc := &scanner{in: s, kind: KindCoordinates}
	colon := strings.LastIndexByte(s, ':')
	if colon < 0 {
		return Coordinates{}, sc.errAt(len(s), "missing \":pos\" after the file name")
	}
	file, err := parseFileName(sc, colon)
	if err != nil {
		return Coordinates{}, err
	}
	sc.i = colon + 1
	sc.skipSpace()
	pos, err := sc.number("position", ^uint64(0))
	if err != nil {
		return Coordinates{}, err
	}
	sc.skipSpace()
	if !sc.eof() {
		return Coordinates{}, sc.expected("end of input after the position")
	}
	return Coordinates{File: file, Pos: pos}, nil
}

// parseFileName validates the file name in sc.in[:end], ignoring surrounding
// whitespace.
func parseFileName(sc *scanner, end int) (string, error) {
	sc.skipSpace()
	start := sc.i
	file := strings.TrimRightFunc(sc.in[start:end], func(r rune) bool { return r < utf8.RuneSelf && isSpace(byte(r)) })
	if file == "" {
		return "", sc.errAt(start, "empty binlog file name")
	}
	for off, r := range file {
		if r == utf8.RuneError || r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", sc.errAt(start+off, "invalid character %q in binlog file name %q", r, file)
		}
	}
	return file, nil
}

// String formats c as "file:pos", the form ParseCoordinates reads.
func (c Coordinates) String() string {
	return c.File + ":" + strconv.FormatUint(c.Pos, 10)
}

// IsZero reports whether c is the zero value (no file, position 0).
func (c Coordinates) IsZero() bool { return c.File == "" && c.Pos == 0 }

// Equal reports whether c and o name the same file and position.
func (c Coordinates) Equal(o Coordinates) bool { return c == o }

// Less reports whether c sorts before o, as defined by Compare.
func (c Coordinates) Less(o Coordinates) bool { return c.Compare(o) < 0 }

// CompareChecked compares two positions of the same binlog sequence and
// returns -1, 0 or +1. Files are ordered by their numeric suffix, so
// "mysql-bin.999999" comes before "mysql-bin.1000000" (MHA compared the
// names as strings, which breaks there). It returns an error wrapping
// ErrIncomparable when the files have different prefixes or a file has no
// numeric suffix, unless the file names are identical.
func (c Coordinates) CompareChecked(o Coordinates) (int, error) {
	if c.File == o.File {
		return cmpUint(c.Pos, o.Pos), nil
	}
	cp, cn, cok := splitFile(c.File)
	op, on, ook := splitFile(o.File)
	if !cok || !ook || cp != op {
		return 0, fmt.Errorf("repl: compare %q with %q: %w", c.File, o.File, ErrIncomparable)
	}
	if r := cmpDigits(cn, on); r != 0 {
		return r, nil
	}
	// Same number spelled differently ("1" vs "000001"); order by name so
	// that Compare returns 0 only for equal values.
	return strings.Compare(c.File, o.File), nil
}

// Compare returns -1, 0 or +1 as c is before, equal to or after o. Where
// CompareChecked fails, Compare falls back to a total order that is useful
// for sorting but says nothing about replication: by prefix as a string,
// and for the same prefix "name.NNN" before "name". Compare returns 0 only
// when c equals o.
func (c Coordinates) Compare(o Coordinates) int {
	if r, err := c.CompareChecked(o); err == nil {
		return r
	}
	cp, _, numbered := splitFile(c.File)
	op, _, _ := splitFile(o.File)
	if r := strings.Compare(cp, op); r != 0 {
		return r
	}
	// Same prefix yet incomparable: exactly one name has a numeric suffix,
	// since two names without one would be identical.
	if numbered {
		return -1
	}
	return 1
}

// Prefix returns the file name without its ".NNNNNN" suffix, e.g.
// "mysql-bin" for "mysql-bin.000123". A name without a numeric suffix is
// returned whole.
func (c Coordinates) Prefix() string {
	p, _, _ := splitFile(c.File)
	return p
}

// FileNumber returns the numeric suffix of the file name: 123 for
// "mysql-bin.000123".
func (c Coordinates) FileNumber() (int64, error) {
	_, digits, ok := splitFile(c.File)
	if !ok {
		return 0, &ParseError{Kind: KindCoordinates, Input: c.File, Pos: len(c.File),
			Msg: fmt.Sprintf("binlog file name %q has no numeric suffix", c.File)}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, &ParseError{Kind: KindCoordinates, Input: c.File, Pos: len(c.File) - len(digits),
			Msg: fmt.Sprintf("number %q of binlog file %q is out of range", digits, c.File)}
	}
	return n, nil
}

// NextFile returns the name of the file the server rotates to after c.File:
// "mysql-bin.000124" after "mysql-bin.000123", "mysql-bin.1000000" after
// "mysql-bin.999999". The number keeps at least its current width, as the
// server pads it with zeros. It returns "" when the name has no numeric
// suffix.
func (c Coordinates) NextFile() string {
	prefix, digits, ok := splitFile(c.File)
	if !ok {
		return ""
	}
	return prefix + "." + incDigits(digits)
}

// splitFile splits "prefix.000123" into "prefix" and "000123". ok is false
// when the name does not end in a dot followed by digits; prefix is then the
// whole name.
func splitFile(name string) (prefix, digits string, ok bool) {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || dot == len(name)-1 {
		return name, "", false
	}
	for i := dot + 1; i < len(name); i++ {
		if !isDigit(name[i]) {
			return name, "", false
		}
	}
	return name[:dot], name[dot+1:], true
}

// cmpDigits compares two decimal numbers given as digit strings of any
// length, so that no file number can overflow.
func cmpDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return cmpUint(uint64(len(a)), uint64(len(b)))
	}
	return strings.Compare(a, b)
}

// incDigits adds one to a decimal digit string, growing it on carry.
func incDigits(d string) string {
	b := []byte(d)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
