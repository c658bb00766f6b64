package agentctl

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/testenv/cluster"
)

// TestAgentVIPNetns moves the VIP between two hosts in their own network
// namespaces through the agents' vip call, and checks that the root
// namespace (a neighbour on the bridge) learns the new holder's MAC from
// the gratuitous ARP alone, before it sends anything to the VIP again.
func TestAgentVIPNetns(t *testing.T) {
	e := newEnv(t, cluster.Options{Base: 98, Hosts: 2, Netns: true})
	ctx := context.Background()
	vip := e.c.VIP() + "/32"
	req := func(op proto.VIPOp) proto.VIPRequest {
		return proto.VIPRequest{Op: op, Address: vip, Interface: e.c.VIPInterface()}
	}
	call := func(i int, op proto.VIPOp) *proto.VIPResult {
		t.Helper()
		res, err := e.agent(i).VIP(ctx, req(op))
		if err != nil {
			t.Fatalf("host %d vip %s: %v", i, op, err)
		}
		return res
	}
	holders := func(want ...int) {
		t.Helper()
		got, err := e.c.VIPHolders(ctx)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("VIP on hosts %v (%v), want %v", got, err, want)
		}
	}
	holders(1) // testenv puts it on host 1
	if r := call(1, proto.VIPCheck); !r.Present || r.Changed {
		t.Fatalf("check on host 1: %+v, want present", r)
	}
	if r := call(2, proto.VIPCheck); r.Present {
		t.Fatalf("check on host 2: %+v, want absent", r)
	}
	reachVIP(t, e.c.VIP())
	mac1, mac2 := hostMAC(t, e.c, 1), hostMAC(t, e.c, 2)
	neighbour(t, e.c, mac1)

	if r := call(1, proto.VIPDel); r.Present || !r.Changed {
		t.Fatalf("del on host 1: %+v", r)
	}
	if r := call(1, proto.VIPDel); r.Present || r.Changed {
		t.Fatalf("second del on host 1: %+v, want no change", r)
	}
	r := call(2, proto.VIPAdd)
	if !r.Present || !r.Changed || r.ARPSent != proto.DefaultARPCount || r.MAC != mac2 {
		t.Fatalf("add on host 2: %+v, want present, changed, %d ARPs from %s", r, proto.DefaultARPCount, mac2)
	}
	holders(2)
	neighbour(t, e.c, mac2)
	if r := call(2, proto.VIPAdd); !r.Present || r.Changed || r.ARPSent == 0 {
		t.Fatalf("second add on host 2: %+v, want present, unchanged, announced again", r)
	}
	holders(2)
	reachVIP(t, e.c.VIP())
}

// reachVIP sends a TCP SYN to the VIP (nothing listens on port 9: the
// answer is a reset), which makes the root namespace resolve its MAC.
func reachVIP(t *testing.T, vip string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort(vip, "9"), 2*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("something listens on %s:9", vip)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("%s does not answer: %v", vip, err)
	}
}

func hostMAC(t *testing.T, c *cluster.Cluster, i int) string {
	t.Helper()
	mac, err := c.HostMAC(context.Background(), i)
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// neighbour checks the root namespace's neighbour entry for the VIP.
func neighbour(t *testing.T, c *cluster.Cluster, want string) {
	t.Helper()
	got, err := c.NeighborMAC(context.Background(), c.VIP())
	if err != nil || got != want {
		t.Fatalf("root namespace's neighbour entry for %s: %q (%v), want %s", c.VIP(), got, err, want)
	}
}
