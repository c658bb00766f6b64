package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// netPieces lists which of the cluster's namespaces, veths and bridge
// exist in the root namespace.
func netPieces(t *testing.T, c *Cluster) []string {
	t.Helper()
	ctx := context.Background()
	ns, err := ipOutput(ctx, "netns", "list")
	if err != nil {
		t.Fatal(err)
	}
	links, err := ipOutput(ctx, "-br", "link")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := 1; i <= c.N(); i++ {
		if strings.Contains(string(ns), c.Namespace(i)+" ") || strings.Contains(string(ns), c.Namespace(i)+"\n") {
			out = append(out, c.Namespace(i))
		}
		if strings.Contains(string(links), c.vethName(i)+"@") {
			out = append(out, c.vethName(i))
		}
	}
	if strings.Contains(string(links), c.bridgeName()+" ") {
		out = append(out, c.bridgeName())
	}
	return out
}

// TestNetnsDownLeavesNothing brings a netns cluster up, checks its hosts
// are reachable only at their namespace addresses, and stops it the way
// `testenv down` does (another process, from state.json).
func TestNetnsDownLeavesNothing(t *testing.T) {
	RequireBinaries(t)
	RequireNetns(t)
	dir := fmt.Sprintf("/tmp/mhago-246-%s", randomHex(4))
	c, err := Up(testCtx(t), Options{Base: 246, Hosts: 2, Dir: dir, Netns: true})
	if err != nil {
		t.Fatal(err)
	}
	procs := c.Procs()
	if got := netPieces(t, c); len(got) != 5 {
		t.Errorf("after Up: %v, want 2 namespaces, 2 veths and the bridge", got)
	}
	if !tcpOpen(c.MySQLAddr(2)) || !tcpOpen(c.SSHAddr(1)) {
		t.Errorf("hosts not reachable at %s / %s", c.MySQLAddr(2), c.SSHAddr(1))
	}
	if tcpOpen(fmt.Sprintf("127.0.%d.%d:%d", c.opts.Net, c.opts.Base+1, c.opts.SSHPort)) {
		t.Error("host 1's sshd answers on loopback in the root namespace")
	}
	again, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Down(); err != nil {
		t.Fatal(err)
	}
	if got := netPieces(t, c); len(got) != 0 {
		t.Errorf("after Down: %v left", got)
	}
	for _, p := range procs {
		if p.Alive() {
			t.Errorf("pid %d alive after Down", p.Pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dir %s still there: %v", dir, err)
	}
}

// TestNetnsUpRemovesOnlyWhatItMade: a bridge of the cluster's name that
// someone else made stops Up, which then leaves that bridge alone.
func TestNetnsUpRemovesOnlyWhatItMade(t *testing.T) {
	RequireBinaries(t)
	RequireNetns(t)
	dir := fmt.Sprintf("/tmp/mhago-248-%s", randomHex(4))
	probe := &Cluster{opts: Options{Base: 248, Hosts: 2, Net: LoopbackNet(), Netns: true}}
	ctx := context.Background()
	if err := ipCmd(ctx, "link", "add", probe.bridgeName(), "type", "bridge"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ipCmd(ctx, "link", "del", probe.bridgeName()) })
	_, err := Up(testCtx(t), Options{Base: 248, Hosts: 2, Dir: dir, Netns: true})
	if err == nil || !strings.Contains(err.Error(), "ip link del "+probe.bridgeName()) {
		t.Fatalf("Up with the bridge taken: %v, want an error naming it", err)
	}
	if got := netPieces(t, probe); len(got) != 1 || got[0] != probe.bridgeName() {
		t.Errorf("after the failed Up: %v, want only the foreign bridge", got)
	}
	c, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Down(); err != nil {
		t.Fatal(err)
	}
	if got := netPieces(t, probe); len(got) != 1 {
		t.Errorf("Down removed the foreign bridge: %v", got)
	}
}
