package phases

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/mhago/mhago/decide"
)

func TestPlanVIP(t *testing.T) {
	st := planState(decide.ModeMySQLAutoPos, planHost("server2", "10.0.0.2", "8.4.3"))
	st.cfg.VIP = netip.MustParsePrefix("10.0.0.100/32")
	st.Dead.Server.VIPInterface, st.NewMaster.Server.VIPInterface = "eth0", "bond0"
	planVIP(st)
	checkNotes(t, st, []string{
		"would run: remove VIP 10.0.0.100/32 from server1 eth0 (best effort, within 10s)",
		"would run: add VIP 10.0.0.100/32 on server2 bond0 and send 3 gratuitous ARPs",
	})
}

// Without vip= neither the plan nor the move touches anything (the hosts
// have no agents: a call would fail).
func TestNoVIPConfigured(t *testing.T) {
	st := planState(decide.ModeMySQLAutoPos, planHost("server2", "10.0.0.2", "8.4.3"))
	planVIP(st)
	if err := st.moveVIP(context.Background(), st.Dead, st.NewMaster); err != nil {
		t.Fatal(err)
	}
	checkNotes(t, st, nil)
}

// A new master without an agent is an error that names it.
func TestMoveVIPNeedsTheNewMastersAgent(t *testing.T) {
	st := planState(decide.ModeMySQLAutoPos, planHost("server2", "10.0.0.2", "8.4.3"))
	st.cfg.VIP = netip.MustParsePrefix("10.0.0.100/32")
	err := st.moveVIP(context.Background(), nil, st.NewMaster)
	if err == nil || !strings.Contains(err.Error(), "add VIP 10.0.0.100/32 on server2: no agent") {
		t.Fatalf("error %v", err)
	}
}

// An old master that cannot be reached is a note naming the command to
// run there, not an error.
func TestReleaseVIPFromUnreachableHostIsANote(t *testing.T) {
	st := planState(decide.ModeMySQLAutoPos, planHost("server2", "10.0.0.2", "8.4.3"))
	st.cfg.VIP = netip.MustParsePrefix("10.0.0.100/32")
	st.Dead.Server.VIPInterface = "eth0"
	st.Dead.SSHErr = errors.New("dial tcp 10.0.0.1:22: connect: no route to host")
	st.releaseVIP(context.Background(), st.Dead)
	checkNotes(t, st, []string{"VIP 10.0.0.100/32 not removed from server1: no SSH connection (dial tcp 10.0.0.1:22: connect: no route to host); " +
		"if that host comes back, remove it there first: `ip addr del 10.0.0.100/32 dev eth0`"})
}
