package repl

import (
	"strings"
	"testing"
)

func TestParseGTIDSet(t *testing.T) {
	tests := []struct {
		flavor Flavor
		in     string
		want   string
		empty  bool
	}{
		{FlavorMySQL, uuidA + ":1-5:6-9", uuidA + ":1-9", false},
		{FlavorMySQL, "", "", true},
		{FlavorMariaDB, "1-2-7,0-1-42", "0-1-42,1-2-7", false},
		{FlavorMariaDB, "", "", true},
	}
	for _, tt := range tests {
		s, err := ParseGTIDSet(tt.flavor, tt.in)
		if err != nil {
			t.Errorf("ParseGTIDSet(%v, %q): %v", tt.flavor, tt.in, err)
			continue
		}
		if s.String() != tt.want || s.IsEmpty() != tt.empty || s.Flavor() != tt.flavor || !s.Contains(s) {
			t.Errorf("ParseGTIDSet(%v, %q) = %q (empty %v, flavor %v)", tt.flavor, tt.in, s, s.IsEmpty(), s.Flavor())
		}
	}
}

func TestParseGTIDSetErrors(t *testing.T) {
	if s, err := ParseGTIDSet(FlavorMySQL, "0-1-42"); err == nil || s != nil {
		t.Errorf("MySQL flavor parsed a MariaDB GTID: %v, %v", s, err)
	}
	if s, err := ParseGTIDSet(FlavorMariaDB, uuidA+":1"); err == nil || s != nil {
		t.Errorf("MariaDB flavor parsed a MySQL GTID: %v, %v", s, err)
	}
	_, err := ParseGTIDSet(Flavor(0), "")
	if err == nil || !strings.Contains(err.Error(), "unknown flavor(0)") {
		t.Errorf("zero flavor: %v", err)
	}
}

func TestGTIDSetMixedFlavors(t *testing.T) {
	my, _ := ParseGTIDSet(FlavorMySQL, "")
	ma, _ := ParseGTIDSet(FlavorMariaDB, "")
	if my.Contains(ma) || ma.Contains(my) {
		t.Error("empty sets of different flavors contain each other")
	}
	if !my.Contains(my) || !ma.Contains(ma) {
		t.Error("empty set does not contain itself")
	}
}

func TestFlavorString(t *testing.T) {
	for f, want := range map[Flavor]string{FlavorMySQL: "mysql", FlavorMariaDB: "mariadb", 0: "flavor(0)", 7: "flavor(7)"} {
		if got := f.String(); got != want {
			t.Errorf("Flavor(%d).String() = %q, want %q", int(f), got, want)
		}
	}
}
