package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// maxIfaceName is the longest Linux interface name (IFNAMSIZ minus the NUL).
const maxIfaceName = 15

// vip reads the optional vip key: an IPv4 address with an optional
// /prefix (default /32). The zero Prefix means no built-in VIP.
func (r *reader) vip() netip.Prefix {
	v, set := r.get("vip")
	if !set || v.raw == "" {
		return netip.Prefix{}
	}
	p, err := parseVIP(v.raw)
	if err != nil {
		r.problem(v, "vip", err.Error(), "write an IPv4 address with an optional prefix, e.g. vip=10.0.1.100 or vip=10.0.1.100/24")
		return netip.Prefix{}
	}
	return p
}

// parseVIP accepts "a.b.c.d" (as /32) or "a.b.c.d/n" with 1 <= n <= 32; the
// address must be one a host can own (not loopback, multicast, ...).
func parseVIP(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		s += "/32"
	}
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address or address/prefix", s)
	case !p.Addr().Is4():
		return netip.Prefix{}, fmt.Errorf("%q is not IPv4 (the gratuitous ARP that moves a VIP exists for IPv4 only)", s)
	case p.Bits() < 1:
		return netip.Prefix{}, fmt.Errorf("%q has prefix length 0", s)
	}
	a := p.Addr()
	if a.IsLoopback() || a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Prefix{}, fmt.Errorf("%s cannot be a host's address", a)
	}
	return p, nil
}

// ifaceName reads an optional network interface name as Linux accepts it.
func (r *reader) ifaceName(key string) string {
	v, _ := r.get(key)
	if v.raw == "" {
		return ""
	}
	if msg := badIfaceName(v.raw); msg != "" {
		r.problem(v, key, fmt.Sprintf("%q is not an interface name: %s", v.raw, msg),
			"write the interface that carries the server's IP, as `ip -br addr` on that host lists it, e.g. eth0")
	}
	return v.raw
}

func badIfaceName(s string) string {
	switch {
	case len(s) > maxIfaceName:
		return fmt.Sprintf("longer than %d characters", maxIfaceName)
	case s == "." || s == "..":
		return "reserved name"
	case strings.ContainsAny(s, "/: \t"):
		return "contains '/', ':' or a space (an alias label like eth0:1 is not an interface)"
	}
	return ""
}

// checkVIP: a VIP needs an interface on every server that may hold it, and
// must not be any server's own address (removing it would cut that server
// off).
func (l *loader) checkVIP() {
	c := l.cfg
	loc, set := c.Where(defaultSection, "vip")
	if !c.VIP.IsValid() {
		if _, ifSet := c.Where(defaultSection, "vip_interface"); ifSet {
			l.warnings.add(Problem{File: l.name, Key: "vip_interface", Msg: "vip_interface is set but vip is not: no VIP is moved",
				Fix: "add vip=<address> to [server default], or remove vip_interface"})
		}
		return
	}
	if !set {
		return
	}
	at := location{file: loc.File, line: loc.Line, section: loc.Section}
	for _, s := range c.Servers {
		if s.VIPInterface == "" {
			l.ps.at(at, "vip", fmt.Sprintf("[%s] has no vip_interface, so the VIP cannot be moved there", s.Block),
				fmt.Sprintf("add vip_interface=<interface> to [server default], or to [%s] when its interface is named differently", s.Block))
		}
		if s.IP == c.VIP.Addr().String() {
			l.ps.at(at, "vip", fmt.Sprintf("%s is the own address of [%s]", c.VIP.Addr(), s.Block),
				"use an address no server has permanently: mhago adds and removes the VIP")
		}
	}
}
