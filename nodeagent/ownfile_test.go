package nodeagent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadOwnFileRefusesPlantedFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(`{"pids":[1]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := write("own", 0o600)
	if b, err := readOwnFile(own); err != nil || len(b) == 0 {
		t.Fatalf("own file: %v", err)
	}
	if _, err := readOwnFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := readOwnFile(write("writable", 0o666)); !errors.Is(err, errNotOwn) || !strings.Contains(err.Error(), "0666") {
		t.Errorf("world-writable file: %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(own, link)
	if _, err := readOwnFile(link); !errors.Is(err, errNotOwn) {
		t.Errorf("symlink: %v", err)
	}
	// Giving a file to another user needs root, which CI has.
	if os.Getuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: the other-owner case needs root")
		}
		t.Log("not root: the other-owner case is not run")
		return
	}
	other := write("other", 0o600)
	if err := os.Chown(other, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := readOwnFile(other); !errors.Is(err, errNotOwn) || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("another user's file: %v", err)
	}
	// A planted pid file is ignored: its pids are never killed.
	if r := readPidFile(other); r != nil {
		t.Errorf("planted pid file read: %+v", r)
	}
	if _, err := readSettingsRecord(other); !errors.Is(err, errNotOwn) {
		t.Errorf("planted settings record: %v", err)
	}
}
