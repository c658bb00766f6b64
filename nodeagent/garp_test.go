package nodeagent

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestGARPFrame checks the gratuitous ARP byte by byte against RFC 826's
// layout: broadcast Ethernet header, ARP request, sender = target = VIP.
func TestGARPFrame(t *testing.T) {
	mac, _ := net.ParseMAC("02:42:ac:11:00:02")
	f, err := garpFrame(mac, netip.MustParseAddr("10.0.1.100"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"ffffffffffff", "0242ac110002", "0806", // Ethernet: broadcast, from mac, ARP
		"0001", "0800", "06", "04", "0001", // Ethernet/IPv4, lengths, request
		"0242ac110002", "0a000164", // sender mac, sender ip
		"000000000000", "0a000164", // target mac unknown, target ip = sender ip
	}, "")
	got := hex.EncodeToString(f)
	if len(f) != minFrame || got[:len(want)] != want || !bytes.Equal(f[len(want)/2:], make([]byte, minFrame-len(want)/2)) {
		t.Fatalf("frame\n got %s\nwant %s + zero padding to %d bytes", got, want, minFrame)
	}
}

func TestGARPFrameRefuses(t *testing.T) {
	mac, _ := net.ParseMAC("02:42:ac:11:00:02")
	tests := []struct {
		name string
		mac  net.HardwareAddr
		ip   string
	}{
		{"no hardware address (loopback)", nil, "10.0.1.100"},
		{"InfiniBand address", make(net.HardwareAddr, 20), "10.0.1.100"},
		{"IPv6", mac, "fd00::1"},
	}
	for _, tt := range tests {
		if _, err := garpFrame(tt.mac, netip.MustParseAddr(tt.ip)); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
