package phases

import (
	"context"
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
