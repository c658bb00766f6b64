//go:build !linux

package nodeagent

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// errVIPUnsupported: the VIP call changes addresses through Linux
// rtnetlink and sends ARP through Linux packet sockets.
var errVIPUnsupported = errors.New("vip: supported on Linux hosts only")

func addrChange(int, netip.Prefix, bool) (bool, error) { return false, errVIPUnsupported }

func sendGARP(context.Context, int, []byte, int, time.Duration) (int, error) {
	return 0, errVIPUnsupported
}
