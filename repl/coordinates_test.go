package repl

import (
	"errors"
	"slices"
	"testing"
)

func TestParseCoordinates(t *testing.T) {
	tests := []struct {
		in   string
		want Coordinates
	}{
		{"mysql-bin.000123:4", Coordinates{"mysql-bin.000123", 4}},
		{"  mysql-bin.000123 : 120 \n", Coordinates{"mysql-bin.000123", 120}},
		{"relay-bin.1000000:0", Coordinates{"relay-bin.1000000", 0}},
		{"host.example.com-bin.000001:154", Coordinates{"host.example.com-bin.000001", 154}},
		{"binlog:18446744073709551615", Coordinates{"binlog", 18446744073709551615}},
		{"mariadb-bin.000002:00042", Coordinates{"mariadb-bin.000002", 42}},
	}
	for _, tt := range tests {
		got, err := ParseCoordinates(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCoordinates(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseCoordinatesErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, `missing ":pos"`},
		{"mysql-bin.000001", 16, `missing ":pos"`},
		{":4", 0, "empty binlog file name"},
		{"   :4", 3, "empty binlog file name"},
		{"mysql-bin.000001:", 17, "expected position, found end of input"},
		{"mysql-bin.000001:-4", 17, `expected position, found "-4"`},
		{"mysql-bin.000001:+4", 17, `expected position, found "+4"`},
		{"mysql-bin.000001:4x", 18, `expected end of input after the position, found "x"`},
		{"mysql-bin.000001:4 5", 19, "expected end of input"},
		{"mysql-bin.000001:18446744073709551616", 17, "larger than 18446744073709551615"},
		{"mysql bin.000001:4", 5, "invalid character ' '"},
		{"mysql-bin.000001:4:5", 16, "invalid character ':'"},
		{"bin\x00.000001:4", 3, "invalid character"},
		{"bin\xff.000001:4", 3, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCoordinates(tt.in)
			if err == nil {
				t.Fatalf("ParseCoordinates(%q) = %+v, want error", tt.in, c)
			}
			wantParseError(t, err, KindCoordinates, tt.pos, tt.msg)
		})
	}
}

func TestCoordinatesStringIsZero(t *testing.T) {
	c := Coordinates{"mysql-bin.000123", 4}
	if got := c.String(); got != "mysql-bin.000123:4" {
		t.Errorf("String() = %q", got)
	}
	if c.IsZero() || !(Coordinates{}).IsZero() || (Coordinates{Pos: 4}).IsZero() || (Coordinates{File: "f"}).IsZero() {
		t.Error("IsZero is wrong")
	}
	if got := (Coordinates{}).String(); got != ":0" {
		t.Errorf("zero String() = %q, want \":0\"", got)
	}
}

func TestCoordinatesCompareChecked(t *testing.T) {
	tests := []struct {
		a, b Coordinates
		want int
	}{
		{Coordinates{"mysql-bin.000123", 4}, Coordinates{"mysql-bin.000123", 4}, 0},
		{Coordinates{"mysql-bin.000123", 4}, Coordinates{"mysql-bin.000123", 5}, -1},
		{Coordinates{"mysql-bin.000123", 900}, Coordinates{"mysql-bin.000123", 5}, 1},
		{Coordinates{"mysql-bin.000122", 900}, Coordinates{"mysql-bin.000123", 4}, -1},
		{Coordinates{"mysql-bin.000124", 4}, Coordinates{"mysql-bin.000123", 900}, 1},
		// Rollover: MHA's string comparison got these backwards.
		{Coordinates{"mysql-bin.999999", 9999}, Coordinates{"mysql-bin.1000000", 4}, -1},
		{Coordinates{"mysql-bin.1000000", 4}, Coordinates{"mysql-bin.999999", 9999}, 1},
		{Coordinates{"mysql-bin.99999999999999999999999", 4}, Coordinates{"mysql-bin.100000000000000000000000", 4}, -1},
		// The same number spelled differently is ordered by name, never equal.
		{Coordinates{"mysql-bin.000001", 4}, Coordinates{"mysql-bin.1", 4}, -1},
		{Coordinates{"mysql-bin.1", 4}, Coordinates{"mysql-bin.000001", 4}, 1},
		// Identical names without a number still compare by position.
		{Coordinates{"binlog", 4}, Coordinates{"binlog", 8}, -1},
		{Coordinates{"a.b.000010", 4}, Coordinates{"a.b.000009", 8}, 1},
	}
	for _, tt := range tests {
		got, err := tt.a.CompareChecked(tt.b)
		if err != nil || got != tt.want {
			t.Errorf("%v.CompareChecked(%v) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
		if c := tt.a.Compare(tt.b); c != tt.want {
			t.Errorf("%v.Compare(%v) = %d; want %d", tt.a, tt.b, c, tt.want)
		}
		if l := tt.a.Less(tt.b); l != (tt.want < 0) {
			t.Errorf("%v.Less(%v) = %v", tt.a, tt.b, l)
		}
		if e := tt.a.Equal(tt.b); e != (tt.want == 0) {
			t.Errorf("%v.Equal(%v) = %v", tt.a, tt.b, e)
		}
	}
}

func TestCoordinatesCompareCheckedIncomparable(t *testing.T) {
	tests := []struct {
		a, b     Coordinates
		fallback int
	}{
		{Coordinates{"mysql-bin.000001", 4}, Coordinates{"mariadb-bin.000001", 4}, 1},
		{Coordinates{"a-bin.000009", 4}, Coordinates{"b-bin.000001", 4}, -1},
		{Coordinates{"mysql-bin.000001", 4}, Coordinates{"mysql-bin", 4}, -1},
		{Coordinates{"mysql-bin", 4}, Coordinates{"mysql-bin.000001", 4}, 1},
		{Coordinates{"mysql-bin.log", 4}, Coordinates{"mysql-bin.000001", 4}, 1},
		{Coordinates{"mysql-bin.", 4}, Coordinates{"mysql-bin.000001", 4}, 1},
		{Coordinates{}, Coordinates{"mysql-bin.000001", 4}, -1},
		{Coordinates{"x", 9}, Coordinates{"y", 1}, -1},
	}
	for _, tt := range tests {
		got, err := tt.a.CompareChecked(tt.b)
		if !errors.Is(err, ErrIncomparable) {
			t.Errorf("%v.CompareChecked(%v) = %d, %v; want ErrIncomparable", tt.a, tt.b, got, err)
		}
		if c := tt.a.Compare(tt.b); c != tt.fallback {
			t.Errorf("%v.Compare(%v) = %d; want %d", tt.a, tt.b, c, tt.fallback)
		}
	}
}

// TestCoordinatesCompareIsTotalOrder checks antisymmetry and transitivity of
// Compare over a mix of comparable and incomparable positions.
func TestCoordinatesCompareIsTotalOrder(t *testing.T) {
	cs := []Coordinates{
		{}, {"mysql-bin.000001", 4}, {"mysql-bin.1", 4}, {"mysql-bin.000002", 4},
		{"mysql-bin.999999", 120}, {"mysql-bin.1000000", 4}, {"mysql-bin", 4},
		{"mysql-bin", 8}, {"mysql-bin.log", 4}, {"relay-bin.000003", 4},
		{"mysql-bin.", 4}, {".000001", 4}, {"mysql-bin.000001", 0},
	}
	for _, a := range cs {
		for _, b := range cs {
			if a.Compare(b) != -b.Compare(a) {
				t.Errorf("Compare not antisymmetric for %v, %v", a, b)
			}
			if (a.Compare(b) == 0) != (a == b) {
				t.Errorf("Compare(%v, %v) = 0 but values differ", a, b)
			}
			for _, c := range cs {
				if a.Compare(b) < 0 && b.Compare(c) < 0 && a.Compare(c) >= 0 {
					t.Errorf("Compare not transitive: %v < %v < %v", a, b, c)
				}
			}
		}
	}
	sorted := slices.Clone(cs)
	slices.SortFunc(sorted, Coordinates.Compare)
	i := slices.Index(sorted, Coordinates{"mysql-bin.999999", 120})
	if sorted[i+1] != (Coordinates{"mysql-bin.1000000", 4}) {
		t.Errorf("sorted order puts %v after .999999", sorted[i+1])
	}
}

func TestCoordinatesFileHelpers(t *testing.T) {
	tests := []struct {
		file   string
		prefix string
		num    int64
		numErr bool
		next   string
	}{
		{"mysql-bin.000123", "mysql-bin", 123, false, "mysql-bin.000124"},
		{"mysql-bin.000009", "mysql-bin", 9, false, "mysql-bin.000010"},
		{"mysql-bin.999999", "mysql-bin", 999999, false, "mysql-bin.1000000"},
		{"mysql-bin.1000000", "mysql-bin", 1000000, false, "mysql-bin.1000001"},
		{"relay.bin.000001", "relay.bin", 1, false, "relay.bin.000002"},
		{"x.9", "x", 9, false, "x.10"},
		{"x.9223372036854775807", "x", 9223372036854775807, false, "x.9223372036854775808"},
		{"x.9223372036854775808", "x", 0, true, "x.9223372036854775809"},
		{"mysql-bin", "mysql-bin", 0, true, ""},
		{"mysql-bin.", "mysql-bin.", 0, true, ""},
		{"mysql-bin.12a", "mysql-bin.12a", 0, true, ""},
		{"", "", 0, true, ""},
	}
	for _, tt := range tests {
		c := Coordinates{File: tt.file, Pos: 4}
		if got := c.Prefix(); got != tt.prefix {
			t.Errorf("%q.Prefix() = %q, want %q", tt.file, got, tt.prefix)
		}
		n, err := c.FileNumber()
		if (err != nil) != tt.numErr || n != tt.num {
			t.Errorf("%q.FileNumber() = %d, %v; want %d, error %v", tt.file, n, err, tt.num, tt.numErr)
		}
		if err != nil {
			wantParseError(t, err, KindCoordinates, -1, tt.file)
		}
		if got := c.NextFile(); got != tt.next {
			t.Errorf("%q.NextFile() = %q, want %q", tt.file, got, tt.next)
		}
		if tt.next != "" && !c.Less(Coordinates{File: tt.next}) {
			t.Errorf("%v is not before its NextFile %q", c, tt.next)
		}
	}
}
