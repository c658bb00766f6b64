package main

import (
	"context"
	"database/sql"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/testenv/cluster"
)

// TestFailoverMovesVIPNetns: hosts in their own network namespaces, the
// VIP (vip=, vip_interface=) on the master. After the master's mysqld is
// killed and mhago fails over, the VIP is on the new master alone, the
// root namespace learned the new MAC from the gratuitous ARP before it
// sent anything, and VIP:3306 answers with the new master's server_id.
func TestFailoverMovesVIPNetns(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 244, Hosts: 3, Netns: true})
	if id := vipServerID(t, s.c); id != 1 {
		t.Fatalf("before the failover VIP:3306 is server_id %d, want 1", id)
	}
	if err := s.c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	code, rep := s.failover()
	if code != exitOK || rep.NewMaster == nil {
		t.Fatalf("exit %d outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	nm := hostIndex(rep.NewMaster.Name)
	if got, err := s.c.VIPHolders(s.ctx); err != nil || !slices.Equal(got, []int{nm}) {
		t.Fatalf("VIP on hosts %v (%v), want only the new master %d", got, err, nm)
	}
	mac, err := s.c.HostMAC(s.ctx, nm)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.c.NeighborMAC(s.ctx, s.c.VIP()); err != nil || got != mac {
		t.Fatalf("root namespace's neighbour entry for the VIP: %q (%v), want the new master's %s", got, err, mac)
	}
	if id := vipServerID(t, s.c); id != nm {
		t.Fatalf("after the failover VIP:3306 is server_id %d, want the new master's %d", id, nm)
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, want := range []string{"VIP " + s.c.VIP() + "/32 removed from server1 eth0", "VIP " + s.c.VIP() + "/32 added on " + rep.NewMaster.Name + " eth0"} {
		if !strings.Contains(notes, want) {
			t.Errorf("report notes lack %q:\n%s", want, notes)
		}
	}
}

// vipServerID connects to VIP:3306 from the root namespace (one attempt,
// short timeouts: a stale neighbour entry would make it time out) and
// returns @@server_id.
func vipServerID(t *testing.T, c *cluster.Cluster) int {
	t.Helper()
	cfg, err := mysql.ParseDSN(c.DSN(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = net.JoinHostPort(c.VIP(), strconv.Itoa(c.Options().MySQLPort))
	cfg.Timeout, cfg.ReadTimeout = 2*time.Second, 2*time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var id int
	if err := db.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil {
		t.Fatalf("SELECT @@server_id through the VIP %s: %v", cfg.Addr, err)
	}
	return id
}
