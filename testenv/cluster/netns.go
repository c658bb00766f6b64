package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"
)

// In network-namespace mode (Options.Netns) every host lives in its own
// network namespace, joined to a Linux bridge in the root namespace by a
// veth pair: host i is 10.<Net>.<Base>.(10+i)/24 on its "eth0", the bridge
// is .1 (the manager, this process, reaches the hosts through it) and the
// VIP is .250. Redis stays on loopback in the root namespace.

// Fixed parts of the namespace layout.
const (
	hostIface  = "eth0" // every host's side of its veth pair
	bridgeHost = 1      // last octet of the bridge's address
	vipHost    = 250    // last octet of the VIP
	netnsHost0 = 10     // host i is .(10+i)
)

// Network is what Up created in netns mode, recorded in state.json so that
// Down (also `testenv down` in another process) removes exactly that.
type Network struct {
	Bridge     string   `json:"bridge"`
	Namespaces []string `json:"namespaces"`
	Veths      []string `json:"veths"`
}

// subnet is the first three octets of the namespace mode's addresses.
func (c *Cluster) subnet() string { return fmt.Sprintf("10.%d.%d", c.opts.Net, c.opts.Base) }

// BridgeIP is the root namespace's address on the bridge (netns mode).
func (c *Cluster) BridgeIP() string { return fmt.Sprintf("%s.%d", c.subnet(), bridgeHost) }

// VIP is the virtual IP the netns mode configures (vip= in app.cnf), "" in
// loopback mode.
func (c *Cluster) VIP() string {
	if !c.opts.Netns {
		return ""
	}
	return fmt.Sprintf("%s.%d", c.subnet(), vipHost)
}

// VIPInterface is every host's interface in netns mode.
func (c *Cluster) VIPInterface() string { return hostIface }

// Namespace is host i's network namespace ("" in loopback mode).
func (c *Cluster) Namespace(i int) string {
	if !c.opts.Netns {
		return ""
	}
	return fmt.Sprintf("mhago-%d-%d-h%d", c.opts.Net, c.opts.Base, i)
}

func (c *Cluster) bridgeName() string { return fmt.Sprintf("mhb%d-%d", c.opts.Net, c.opts.Base) }

func (c *Cluster) vethName(i int) string {
	return fmt.Sprintf("mhv%d-%d-%d", c.opts.Net, c.opts.Base, i)
}

// inHost runs argv inside host i's namespace (`ip netns exec` enters it
// and execs argv, so the pid stays the one spawn records).
func (c *Cluster) inHost(i int, argv []string) ([]string, error) {
	if !c.opts.Netns {
		return argv, nil
	}
	ip, err := findBinary("ip")
	if err != nil {
		return nil, err
	}
	return append([]string{ip, "netns", "exec", c.Namespace(i)}, argv...), nil
}

// createNetwork builds the bridge, one namespace and veth pair per host,
// and puts the VIP on host 1. Each piece is recorded once it exists, so
// that a failure half-way removes what was made and nothing else.
func (c *Cluster) createNetwork(ctx context.Context) error {
	if err := c.checkSubnetFree(); err != nil {
		return err
	}
	br := c.bridgeName()
	if err := ipCmd(ctx, "link", "add", br, "type", "bridge"); err != nil {
		return fmt.Errorf("%w (a leftover of a crashed run? remove it with `ip link del %s`)", err, br)
	}
	if err := c.setProc(func(st *state) { st.Network = &Network{Bridge: br} }); err != nil {
		return err
	}
	if err := ipCmds(ctx, [][]string{
		{"addr", "add", c.BridgeIP() + "/24", "dev", br},
		{"link", "set", br, "up"},
	}); err != nil {
		return err
	}
	for i := 1; i <= c.opts.Hosts; i++ {
		if err := c.createHostNet(ctx, i); err != nil {
			return err
		}
	}
	return ipCmd(ctx, "-n", c.Namespace(1), "addr", "add", c.VIP()+"/32", "dev", hostIface)
}

func (c *Cluster) createHostNet(ctx context.Context, i int) error {
	ns, veth := c.Namespace(i), c.vethName(i)
	if err := ipCmd(ctx, "netns", "add", ns); err != nil {
		return fmt.Errorf("%w (a leftover of a crashed run? remove it with `ip netns del %s`)", err, ns)
	}
	if err := c.setProc(func(st *state) { st.Network.Namespaces = append(st.Network.Namespaces, ns) }); err != nil {
		return err
	}
	if err := ipCmd(ctx, "link", "add", veth, "type", "veth", "peer", "name", hostIface, "netns", ns); err != nil {
		return err
	}
	if err := c.setProc(func(st *state) { st.Network.Veths = append(st.Network.Veths, veth) }); err != nil {
		return err
	}
	return ipCmds(ctx, [][]string{
		{"link", "set", veth, "master", c.bridgeName(), "up"},
		{"-n", ns, "addr", "add", c.IP(i) + "/24", "dev", hostIface},
		{"-n", ns, "link", "set", hostIface, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	})
}

// checkSubnetFree refuses a subnet the root namespace already has an
// address in: the bridge's route would hijack that network.
func (c *Cluster) checkSubnetFree() error {
	sub := netip.MustParsePrefix(c.subnet() + ".0/24")
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && sub.Contains(ip.Unmap()) {
				return fmt.Errorf("testenv: %s is already in use here (%s); choose another MHAGO_TESTENV_NET or base", sub, n)
			}
		}
	}
	return nil
}

// removeNetwork deletes what createNetwork recorded: the veth pairs (both
// ends go together), the namespaces and the bridge. Missing pieces are
// fine: Down may run twice, or after a half-made network.
func (c *Cluster) removeNetwork() error {
	c.mu.Lock()
	nw := c.st.Network
	c.mu.Unlock()
	if nw == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, v := range nw.Veths {
		errs = append(errs, ipGone(ipCmd(ctx, "link", "del", v)))
	}
	for _, ns := range nw.Namespaces {
		errs = append(errs, ipGone(ipCmd(ctx, "netns", "del", ns)))
	}
	if nw.Bridge != "" {
		errs = append(errs, ipGone(ipCmd(ctx, "link", "del", nw.Bridge)))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.setProc(func(st *state) { st.Network = nil })
}

// ipGone forgives deleting what is not there.
func ipGone(err error) error {
	if err != nil && (strings.Contains(err.Error(), "Cannot find device") || strings.Contains(err.Error(), "No such file")) {
		return nil
	}
	return err
}

func ipCmds(ctx context.Context, cmds [][]string) error {
	for _, args := range cmds {
		if err := ipCmd(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

func ipCmd(ctx context.Context, args ...string) error {
	_, err := ipOutput(ctx, args...)
	return err
}

// ipOutput runs iproute2's ip and returns its standard output.
func ipOutput(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := findBinary("ip")
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// VIPHolders lists the hosts whose interface carries the VIP.
func (c *Cluster) VIPHolders(ctx context.Context) ([]int, error) {
	var out []int
	for i := 1; i <= c.opts.Hosts; i++ {
		var links []struct {
			Addrs []struct {
				Local string `json:"local"`
			} `json:"addr_info"`
		}
		b, err := ipOutput(ctx, "-j", "-n", c.Namespace(i), "-4", "addr", "show", "dev", hostIface)
		if err == nil {
			err = json.Unmarshal(b, &links)
		}
		if err != nil {
			return nil, fmt.Errorf("host %d addresses: %w", i, err)
		}
		for _, l := range links {
			for _, a := range l.Addrs {
				if a.Local == c.VIP() {
					out = append(out, i)
				}
			}
		}
	}
	return out, nil
}

// HostMAC is the hardware address of host i's interface.
func (c *Cluster) HostMAC(ctx context.Context, i int) (string, error) {
	var links []struct {
		Address string `json:"address"`
	}
	b, err := ipOutput(ctx, "-j", "-n", c.Namespace(i), "link", "show", "dev", hostIface)
	if err == nil {
		err = json.Unmarshal(b, &links)
	}
	if err != nil || len(links) != 1 {
		return "", fmt.Errorf("host %d MAC: %v", i, err)
	}
	return links[0].Address, nil
}

// NeighborMAC is the hardware address the root namespace's neighbour
// table holds for ip on the bridge ("" when it has no entry).
func (c *Cluster) NeighborMAC(ctx context.Context, ip string) (string, error) {
	var neigh []struct {
		LLAddr string `json:"lladdr"`
	}
	b, err := ipOutput(ctx, "-j", "-4", "neigh", "show", "to", ip, "dev", c.bridgeName())
	if err == nil {
		err = json.Unmarshal(b, &neigh)
	}
	if err != nil {
		return "", fmt.Errorf("neighbour %s: %w", ip, err)
	}
	if len(neigh) == 0 {
		return "", nil
	}
	return neigh[0].LLAddr, nil
}

// NetnsSupported says why network namespaces cannot be made here ("" when
// they can): they need root and iproute2.
func NetnsSupported() string {
	if os.Geteuid() != 0 {
		return "network namespaces need root"
	}
	if _, err := findBinary("ip"); err != nil {
		return "network namespaces need iproute2's ip"
	}
	return ""
}
