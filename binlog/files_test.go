package binlog

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNeverCreated(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"mysql-bin.000098", "mysql-bin.000099", "mysql-bin.index"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file string
		pos  int64
		want bool
	}{
		{"mysql-bin.000100", 4, true},    // announced by 000099's Rotate, never created
		{"mysql-bin.000100", 0, true},    // some servers report 0 before the first event
		{"mysql-bin.000100", 120, false}, // a position inside it: it existed
		{"mysql-bin.000101", 4, false},   // a gap: not a rotation
		{"mysql-bin.000099", 4, false},   // exists
		{"mysql-bin.000097", 4, false},   // purged, not unborn
		{"other-bin.000100", 4, false},   // another prefix
		{"mysql-bin", 4, false},
	} {
		got, err := NeverCreated(dir, tc.file, tc.pos)
		if err != nil || got != tc.want {
			t.Errorf("NeverCreated(%s, %d) = %v, %v; want %v", tc.file, tc.pos, got, err, tc.want)
		}
	}
	if s := successor("000999"); s != "1000" {
		t.Errorf("successor(000999) = %s", s)
	}
}

func TestHeaderUnwritten(t *testing.T) {
	real, err := os.ReadFile(filepath.Join(fixDir, "master-bin.000002"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		newest []byte
		want   bool
	}{
		{"empty", nil, true},
		{"part of the magic", []byte(Magic[:2]), true},
		{"magic and part of the format description", real[:40], true},
		{"a whole header", real, false},
		{"not a binlog", []byte("junk and more junk and more junk"), false},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "mysql-bin.000001"), real, 0o600)
		os.WriteFile(filepath.Join(dir, "mysql-bin.000002"), tc.newest, 0o600)
		got, err := HeaderUnwritten(dir, "mysql-bin.000002")
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
		if got, _ := HeaderUnwritten(dir, "mysql-bin.000001"); got {
			t.Errorf("%s: an older file is never unwritten", tc.name)
		}
	}
}
