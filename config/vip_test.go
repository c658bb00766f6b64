package config

import (
	"strings"
	"testing"
)

func TestVIPAccepted(t *testing.T) {
	tests := []struct {
		name, text string
		vip        string
		ifaces     []string // per server, in order
	}{
		{"no vip", twoServers, "invalid Prefix", []string{"", ""}},
		{"bare address is /32", "[server default]\nvip=10.0.0.100\nvip_interface=eth0\n" + twoServers,
			"10.0.0.100/32", []string{"eth0", "eth0"}},
		{"with prefix", "[server default]\nvip=10.0.0.100/24\nvip_interface=eth0\n" + twoServers,
			"10.0.0.100/24", []string{"eth0", "eth0"}},
		{"per-server override", "[server default]\nvip=10.0.0.100\nvip_interface=eth0\n" +
			"[server1]\nhostname=host1\n[server2]\nhostname=host2\nvip_interface=bond0.12\n",
			"10.0.0.100/32", []string{"eth0", "bond0.12"}},
		{"interface only per server", "[server default]\nvip=10.0.0.100\n" +
			"[server1]\nhostname=host1\nvip_interface=ens3\n[server2]\nhostname=host2\nvip_interface=ens4\n",
			"10.0.0.100/32", []string{"ens3", "ens4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.text)
			eq(t, c.VIP.String(), tt.vip)
			for i, want := range tt.ifaces {
				eq(t, c.Servers[i].VIPInterface, want)
			}
		})
	}
}

// TestVIPProblems: each bad setting is reported at its line, with a fix.
func TestVIPProblems(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"not an address", "[server default]\nvip=db-vip\nvip_interface=eth0\n" + twoServers, 2, "vip", "not an IPv4 address"},
		{"IPv6", "[server default]\nvip=fd00::100\nvip_interface=eth0\n" + twoServers, 2, "vip", "not IPv4"},
		{"prefix 0", "[server default]\nvip=10.0.0.100/0\nvip_interface=eth0\n" + twoServers, 2, "vip", "prefix length 0"},
		{"prefix 33", "[server default]\nvip=10.0.0.100/33\nvip_interface=eth0\n" + twoServers, 2, "vip", "not an IPv4 address"},
		{"loopback", "[server default]\nvip=127.0.0.5\nvip_interface=eth0\n" + twoServers, 2, "vip", "cannot be a host's address"},
		{"multicast", "[server default]\nvip=224.0.0.18\nvip_interface=eth0\n" + twoServers, 2, "vip", "cannot be a host's address"},
		{"no interface anywhere", "[server default]\nvip=10.0.0.100\n" + twoServers, 2, "vip", "[server1] has no vip_interface"},
		{"one server lacks it", "[server default]\nvip=10.0.0.100\n[server1]\nhostname=host1\nvip_interface=eth0\n[server2]\nhostname=host2\n",
			2, "vip", "[server2] has no vip_interface"},
		{"a server's own address", "[server default]\nvip=10.0.0.2\nvip_interface=eth0\n" + twoServers, 2, "vip", "own address of [server2]"},
		{"interface too long", "[server default]\nvip=10.0.0.100\nvip_interface=averyveryverylongname\n" + twoServers, 3, "vip_interface", "longer than 15"},
		{"alias label", "[server1]\nhostname=host1\nvip_interface=eth0:1\n[server2]\nhostname=host2\n", 3, "vip_interface", "alias label"},
		{"vip differs in a block", "[server default]\nvip=10.0.0.100\nvip_interface=eth0\n[server1]\nhostname=host1\nvip=10.0.0.101\n[server2]\nhostname=host2\n",
			6, "vip", "differs from [server default]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range parseProblems(t, tt.text, testOpts()) {
				if p.Line == tt.line && p.Key == tt.key && strings.Contains(p.Msg, tt.msg) {
					if p.Fix == "" {
						t.Errorf("problem without a fix: %v", p)
					}
					return
				}
			}
			t.Errorf("no problem at line %d key %q containing %q; got:%s", tt.line, tt.key, tt.msg,
				dumpProblems(parseProblems(t, tt.text, testOpts())))
		})
	}
}

func TestVIPInterfaceWithoutVIPWarns(t *testing.T) {
	c := mustParse(t, "[server default]\nvip_interface=eth0\n"+twoServers)
	if len(c.Warnings) != 1 || c.Warnings[0].Key != "vip_interface" || c.Warnings[0].Fix == "" {
		t.Fatalf("warnings:%s", dumpProblems(c.Warnings))
	}
}
