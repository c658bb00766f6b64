package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
)

// errNeedNetAdmin: the agent may not change the host's addresses.
var errNeedNetAdmin = errors.New("changing addresses needs root or CAP_NET_ADMIN")

// vipCall adds, removes or looks for a virtual IP on one interface. The
// address change goes through rtnetlink directly (addrChange), so no
// iproute2 is needed on the host and "already there" / "already gone"
// come back as errno values, not as `ip` messages that differ between
// versions.
func vipCall(ctx context.Context, req proto.VIPRequest) (proto.Response, error) {
	p, err := netip.ParsePrefix(req.Address)
	if err != nil || !p.Addr().Is4() {
		return proto.Response{}, fmt.Errorf("vip %q: not an IPv4 address/prefix", req.Address)
	}
	ifi, err := net.InterfaceByName(req.Interface)
	if err != nil {
		return proto.Response{}, fmt.Errorf("interface %q not found on this host (it has %s): set vip_interface to the interface that carries the server's IP",
			req.Interface, interfaceNames())
	}
	present, err := hasAddr(ifi, p.Addr())
	if err != nil {
		return proto.Response{}, err
	}
	res := &proto.VIPResult{Present: present, MAC: ifi.HardwareAddr.String()}
	switch req.Op {
	case proto.VIPCheck:
	case proto.VIPAdd:
		err = vipAdd(ctx, ifi, p, req, res)
	case proto.VIPDel:
		err = vipDel(ifi, p, res)
	default:
		err = fmt.Errorf("vip: unknown op %q (want add, del or check)", req.Op)
	}
	return proto.Response{VIP: res}, err
}

func vipAdd(ctx context.Context, ifi *net.Interface, p netip.Prefix, req proto.VIPRequest, res *proto.VIPResult) error {
	// Checked first, so that an interface without Ethernet address never
	// gets a VIP nobody would learn about.
	frame, err := garpFrame(ifi.HardwareAddr, p.Addr())
	if err != nil {
		return fmt.Errorf("interface %s cannot announce %s with a gratuitous ARP: %w", ifi.Name, p.Addr(), err)
	}
	if !res.Present {
		changed, err := addrChange(ifi.Index, p, true)
		if err != nil {
			return fmt.Errorf("add %s to %s: %w", p, ifi.Name, err)
		}
		res.Present, res.Changed = true, changed
	}
	count, interval := arpPacing(req)
	res.ARPSent, err = sendGARP(ctx, ifi.Index, frame, count, interval)
	if err != nil {
		return fmt.Errorf("%s was added to %s, but the gratuitous ARP failed after %d of %d: %w", p, ifi.Name, res.ARPSent, count, err)
	}
	return nil
}

func vipDel(ifi *net.Interface, p netip.Prefix, res *proto.VIPResult) error {
	if !res.Present {
		return nil
	}
	bits, err := addrBits(ifi, p.Addr())
	if err != nil {
		return err
	}
	// The kernel matches the prefix length too: remove the address as
	// the interface holds it, whoever added it.
	changed, err := addrChange(ifi.Index, netip.PrefixFrom(p.Addr(), bits), false)
	if err != nil {
		return fmt.Errorf("remove %s from %s: %w", p.Addr(), ifi.Name, err)
	}
	res.Present, res.Changed = false, changed
	return nil
}

func arpPacing(req proto.VIPRequest) (int, time.Duration) {
	count, ms := req.ARPCount, req.ARPIntervalMS
	if count <= 0 {
		count = proto.DefaultARPCount
	}
	if ms <= 0 {
		ms = proto.DefaultARPIntervalMS
	}
	return count, time.Duration(ms) * time.Millisecond
}

// hasAddr tells whether the interface carries ip, with any prefix length.
func hasAddr(ifi *net.Interface, ip netip.Addr) (bool, error) {
	_, err := addrBits(ifi, ip)
	if errors.Is(err, errNoAddr) {
		return false, nil
	}
	return err == nil, err
}

var errNoAddr = errors.New("address not on the interface")

// addrBits is the prefix length with which the interface carries ip.
func addrBits(ifi *net.Interface, ip netip.Addr) (int, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return 0, fmt.Errorf("list addresses of %s: %w", ifi.Name, err)
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if got, ok := netip.AddrFromSlice(n.IP); ok && got.Unmap() == ip {
			ones, _ := n.Mask.Size()
			return ones, nil
		}
	}
	return 0, errNoAddr
}

// interfaceNames lists the host's interfaces for an error message.
func interfaceNames() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return "no readable interfaces"
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
