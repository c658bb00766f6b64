package nodeagent

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/mhago/mhago/nodeagent/proto"
)

// TestAddrMessage parses the request back as the kernel would read it.
func TestAddrMessage(t *testing.T) {
	tests := []struct {
		typ       uint16
		wantFlags uint16
	}{
		{syscall.RTM_NEWADDR, syscall.NLM_F_REQUEST | syscall.NLM_F_ACK | syscall.NLM_F_CREATE | syscall.NLM_F_EXCL},
		{syscall.RTM_DELADDR, syscall.NLM_F_REQUEST | syscall.NLM_F_ACK},
	}
	for _, tt := range tests {
		b := addrMessage(tt.typ, 7, 42, netip.MustParsePrefix("10.0.1.100/24"))
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("type %d: %d messages, %v", tt.typ, len(msgs), err)
		}
		m := msgs[0]
		if m.Header.Type != tt.typ || m.Header.Flags != tt.wantFlags || m.Header.Seq != 7 || int(m.Header.Len) != len(b) {
			t.Errorf("type %d: header %+v, want flags %#x seq 7 len %d", tt.typ, m.Header, tt.wantFlags, len(b))
		}
		d := m.Data
		if d[0] != syscall.AF_INET || d[1] != 24 || binary.NativeEndian.Uint32(d[4:8]) != 42 {
			t.Errorf("type %d: ifaddrmsg % x, want AF_INET, /24, index 42", tt.typ, d[:8])
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil || len(attrs) != 2 {
			t.Fatalf("type %d: %d attributes, %v", tt.typ, len(attrs), err)
		}
		for k, want := range []uint16{syscall.IFA_LOCAL, syscall.IFA_ADDRESS} {
			if attrs[k].Attr.Type != want || netip.AddrFrom4([4]byte(attrs[k].Value)).String() != "10.0.1.100" {
				t.Errorf("type %d: attribute %d = %d %v", tt.typ, k, attrs[k].Attr.Type, attrs[k].Value)
			}
		}
	}
}

func TestAckError(t *testing.T) {
	ack := func(code int32) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(code)) }
	if err := ackError(ack(0)); err != nil {
		t.Errorf("ack 0: %v", err)
	}
	if err := ackError(ack(-int32(syscall.EEXIST))); err != syscall.EEXIST {
		t.Errorf("ack -EEXIST: %v", err)
	}
	if err := ackError(nil); err == nil {
		t.Error("short ack: no error")
	}
}

func TestVIPCallRefusesBadRequests(t *testing.T) {
	tests := []struct {
		name string
		req  proto.VIPRequest
		msg  string
	}{
		{"IPv6", proto.VIPRequest{Op: proto.VIPCheck, Address: "fd00::1/128", Interface: "lo"}, "not an IPv4"},
		{"no such interface", proto.VIPRequest{Op: proto.VIPCheck, Address: "10.0.0.1/32", Interface: "nosuch0"}, "set vip_interface"},
		{"unknown op", proto.VIPRequest{Op: "move", Address: "10.0.0.1/32", Interface: "lo"}, "unknown op"},
		// Checked before anything changes: lo has no Ethernet address.
		{"add on loopback", proto.VIPRequest{Op: proto.VIPAdd, Address: "10.0.0.1/32", Interface: "lo"}, "gratuitous ARP"},
	}
	for _, tt := range tests {
		_, err := vipCall(t.Context(), tt.req)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.msg)
		}
	}
}
