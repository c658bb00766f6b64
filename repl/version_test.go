package repl

import "testing"

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in                  string
		major, minor, patch int
		maria               bool
		majorMinor          string
	}{
		{"10.11.19-MariaDB-0+deb12u1-log", 10, 11, 19, true, "10.11"},
		{"10.11.8-MariaDB-ubu2204-log", 10, 11, 8, true, "10.11"},
		{"8.0.36-0ubuntu0.22.04.1", 8, 0, 36, false, "8.0"},
		{"5.7.22-ndb-7.6.6-log", 5, 7, 22, false, "5.7"},
		{"5.5.5-10.3.25-MariaDB-0ubuntu0.20.04.1", 10, 3, 25, true, "10.3"},
		{"5.5.5-10.11.6-MariaDB", 10, 11, 6, true, "10.11"},
		{"8.4.3", 8, 4, 3, false, "8.4"},
		{"11.4.2-MariaDB", 11, 4, 2, true, "11.4"},
		{"8.0.36-28", 8, 0, 36, false, "8.0"},
		{"5.5.5-log", 5, 5, 5, false, "5.5"},
		{"5.5.5-MariaDB", 5, 5, 5, true, "5.5"},
		{"  9.1.0-commercial\n", 9, 1, 0, false, "9.1"},
		{"8.4", 8, 4, 0, false, "8.4"},
		{"8.4.", 8, 4, 0, false, "8.4"},
		{"8.4-log", 8, 4, 0, false, "8.4"},
		{"10.6.16-mariadb", 10, 6, 16, true, "10.6"},
		{"5.6.51.1", 5, 6, 51, false, "5.6"},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.in)
		if err != nil {
			t.Errorf("ParseVersion(%q): %v", tt.in, err)
			continue
		}
		if v.Major != tt.major || v.Minor != tt.minor || v.Patch != tt.patch || v.MariaDB != tt.maria || v.Raw != tt.in {
			t.Errorf("ParseVersion(%q) = %+v", tt.in, v)
		}
		if got := v.MajorMinor(); got != tt.majorMinor {
			t.Errorf("ParseVersion(%q).MajorMinor() = %q", tt.in, got)
		}
		wantFlavor := FlavorMySQL
		if tt.maria {
			wantFlavor = FlavorMariaDB
		}
		if v.Flavor() != wantFlavor {
			t.Errorf("ParseVersion(%q).Flavor() = %v", tt.in, v.Flavor())
		}
	}
}

func TestParseVersionErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "expected major version, found end of input"},
		{"MariaDB", 0, `expected major version, found "MariaDB"`},
		{"v8.0.36", 0, "expected major version"},
		{"8", 1, `expected "." after the major version, found end of input`},
		{"8-log", 1, `expected "." after the major version`},
		{"8.x", 2, "expected minor version"},
		{"10000000.1.1", 0, "major version \"10000000\" is larger than"},
		{"1.99999999999999999999", 2, "minor version"},
		{"1.1.99999999999999999999", 4, "patch version"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseVersion(tt.in)
			if err == nil {
				t.Fatalf("ParseVersion(%q) = %+v, want error", tt.in, v)
			}
			wantParseError(t, err, KindVersion, tt.pos, tt.msg)
		})
	}
}

func TestVersionCompareAtLeastString(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"8.0.36", "8.0.36-log", 0},
		{"8.0.36", "8.0.4", 1},
		{"8.0.36", "8.4.0", -1},
		{"10.11.19-MariaDB", "10.6.16-MariaDB", 1},
		{"5.7.44", "8.0.0", -1},
		{"10.11.8-MariaDB", "10.11.8-MariaDB-log", 0},
	}
	for _, tt := range tests {
		a, _ := ParseVersion(tt.a)
		b, _ := ParseVersion(tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := b.Compare(a); got != -tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
	v, _ := ParseVersion("5.5.5-10.11.19-MariaDB-0+deb12u1-log")
	atLeast := []struct {
		maj, min, patch int
		want            bool
	}{
		{10, 11, 19, true}, {10, 11, 20, false}, {10, 6, 99, true}, {10, 12, 0, false},
		{11, 0, 0, false}, {5, 7, 0, true}, {10, 11, 0, true},
	}
	for _, tt := range atLeast {
		if got := v.AtLeast(tt.maj, tt.min, tt.patch); got != tt.want {
			t.Errorf("AtLeast(%d, %d, %d) = %v", tt.maj, tt.min, tt.patch, got)
		}
	}
	if got := v.String(); got != "10.11.19-MariaDB" {
		t.Errorf("String() = %q", got)
	}
	if got := (Version{Major: 8, Minor: 4}).String(); got != "8.4.0" {
		t.Errorf("String() = %q", got)
	}
}
