package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWithoutSection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, block, want string
		found                   bool
	}{
		{"middle block with its comments", "[server default]\nuser=a\n\n[server1]\n# the old master\nhostname=h1\n\n[server2]\nhostname=h2\n",
			"server1", "[server default]\nuser=a\n\n[server2]\nhostname=h2\n", true},
		{"last block without a final newline", "[server1]\nhostname=h1\n[server2]\nhostname=h2",
			"server2", "[server1]\nhostname=h1\n", true},
		{"header with spaces and CRLF", "[server1]\r\nhostname=h1\r\n  [ server2 ]  \r\nhostname=h2\r\n[server3]\r\nhostname=h3\r\n",
			"server2", "[server1]\r\nhostname=h1\r\n[server3]\r\nhostname=h3\r\n", true},
		{"a name that only starts the same is kept", "[server1]\nhostname=h1\n[server10]\nhostname=h10\n",
			"server1", "[server10]\nhostname=h10\n", true},
		{"a key whose value looks like a header is not a header", "[server1]\npassword=[x]y\nhostname=h1\n[server2]\nhostname=h2\n",
			"server2", "[server1]\npassword=[x]y\nhostname=h1\n", true},
		{"missing block", "[server1]\nhostname=h1\n", "server9", "[server1]\nhostname=h1\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, found := withoutSection(tc.text, tc.block)
			if got != tc.want || found != tc.found {
				t.Fatalf("withoutSection(%q) = %q, %v; want %q, %v", tc.block, got, found, tc.want, tc.found)
			}
		})
	}
}

func TestRemoveServerBlockKeepsAValidFile(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/mha_app1.cnf")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app1.cnf")
	if err := os.WriteFile(path, src, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := RemoveServerBlock(path, "server1", ""); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, testOpts())
	if err != nil {
		t.Fatalf("the file no longer loads: %v", err)
	}
	if len(cfg.Servers) != 2 || cfg.Servers[0].Block != "server2" || cfg.Servers[0].User != "root" {
		t.Fatalf("servers after removal: %+v", cfg.Servers)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".app1.cnf.*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	err = RemoveServerBlock(path, "server1", "")
	if !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("second removal: %v, want ErrBlockNotFound", err)
	}
	if err := RemoveServerBlock(filepath.Join(t.TempDir(), "none.cnf"), "server1", ""); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestWithDefaultKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"first line of the section", "# head\n[server default]\nuser=a\n[server1]\nhostname=h\n",
			"# head\n[server default]\ncluster_id=c1\nuser=a\n[server1]\nhostname=h\n"},
		{"section without a final newline", "[server1]\nhostname=h\n[server default]",
			"[server1]\nhostname=h\n[server default]\ncluster_id=c1\n"},
		{"no section: one at the top", "[server1]\nhostname=h\n",
			"[server default]\ncluster_id=c1\n\n[server1]\nhostname=h\n"},
	}
	for _, tc := range tests {
		if got := withDefaultKey(tc.text, "cluster_id", "c1"); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The derived cluster id depends on the server list: removing the dead
// master's block must pin it, or the next run would use another lock.
func TestRemoveServerBlockPinsClusterID(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/mha_app1.cnf")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app1.cnf")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := Load(path, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	id := before.ClusterID()
	if before.ClusterIDSet() || len(id) != 13 || id[0] != 'c' {
		t.Fatalf("derived id %q (set %v)", id, before.ClusterIDSet())
	}
	if err := RemoveServerBlock(path, "server1", id); err != nil {
		t.Fatal(err)
	}
	after, err := Load(path, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if !after.ClusterIDSet() || after.ClusterID() != id || DeriveClusterID(after.Servers) == id {
		t.Fatalf("after removal: id %q set %v, derived now %q; want %q pinned", after.ClusterID(), after.ClusterIDSet(), DeriveClusterID(after.Servers), id)
	}
}

// Two manager hosts' files that list the same servers in another order
// and under other block names derive the same cluster id.
func TestDeriveClusterIDIgnoresOrderAndNames(t *testing.T) {
	t.Parallel()
	a := []Server{{Block: "server1", Hostname: "DB1", Port: 3306}, {Block: "server2", Hostname: "db2", Port: 3306}}
	b := []Server{{Block: "b", Hostname: "db2", Port: 3306}, {Block: "a", Hostname: "db1", Port: 3306}}
	c := []Server{{Block: "server1", Hostname: "db1", Port: 3307}, {Block: "server2", Hostname: "db2", Port: 3306}}
	if DeriveClusterID(a) != DeriveClusterID(b) {
		t.Errorf("order or case changed the id: %s vs %s", DeriveClusterID(a), DeriveClusterID(b))
	}
	if DeriveClusterID(a) == DeriveClusterID(c) {
		t.Errorf("another port gave the same id %s", DeriveClusterID(a))
	}
}
