package nodeagent

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// Ethernet and ARP constants (RFC 826, IEEE 802.3).
const (
	etherTypeARP  = 0x0806
	etherTypeIPv4 = 0x0800
	arpHTypeEther = 1
	arpOpRequest  = 1
	// minFrame is the shortest Ethernet frame without its FCS; shorter
	// frames are padded with zeros.
	minFrame = 60
)

// garpFrame builds a gratuitous ARP: an Ethernet broadcast from mac
// carrying an ARP request whose sender and target address are both ip.
// Every neighbour that has ip in its ARP cache replaces the hardware
// address with mac at once (Linux treats sender == target as gratuitous
// and overrides even a fresh entry); nobody answers it. A request, not a
// reply, because some old stacks ignore unsolicited replies.
func garpFrame(mac net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("hardware address %q is not a 6-byte Ethernet address", mac)
	}
	if !ip.Is4() {
		return nil, fmt.Errorf("%s is not an IPv4 address", ip)
	}
	f := make([]byte, minFrame)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], mac)
	binary.BigEndian.PutUint16(f[12:14], etherTypeARP)
	a := f[14:]
	binary.BigEndian.PutUint16(a[0:2], arpHTypeEther)
	binary.BigEndian.PutUint16(a[2:4], etherTypeIPv4)
	a[4], a[5] = 6, 4 // hardware and protocol address lengths
	binary.BigEndian.PutUint16(a[6:8], arpOpRequest)
	ip4 := ip.As4()
	copy(a[8:14], mac)     // sender hardware address
	copy(a[14:18], ip4[:]) // sender protocol address
	// a[18:24], the target hardware address, stays zero: unknown.
	copy(a[24:28], ip4[:]) // target protocol address
	return f, nil
}
