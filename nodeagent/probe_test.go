package nodeagent

import (
	"context"
	"net"
	"testing"

	"github.com/mhago/mhago/internal/netprobe"
	"github.com/mhago/mhago/nodeagent/proto"
)

// TestProbeCall: the agent's probe answers through the request envelope,
// refuses an unbounded timeout, and says why a port is unreachable.
func TestProbeCall(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	resp := handleRequest(context.Background(), proto.CmdProbe, proto.Request{Protocol: proto.Version, Manager: "v1",
		Probe: &proto.ProbeRequest{Addr: addr, TimeoutMS: 300}}, "v1", nil)
	if !resp.OK || resp.Probe == nil || resp.Probe.Reach != string(netprobe.Unreachable) || resp.Probe.Detail == "" {
		t.Fatalf("probe of a closed port: %+v %+v", resp, resp.Probe)
	}
	resp = handleRequest(context.Background(), proto.CmdProbe, proto.Request{Protocol: proto.Version, Manager: "v1",
		Probe: &proto.ProbeRequest{Addr: addr, TimeoutMS: 60_000}}, "v1", nil)
	if resp.OK || resp.Error == nil {
		t.Fatalf("a 60 s probe was accepted: %+v", resp)
	}
}
