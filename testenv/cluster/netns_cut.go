package cluster

import (
	"context"
	"fmt"
)

// CutHost makes host i vanish from the network without a word, as a host
// that lost power or its switch port: the bridge side of its veth pair goes
// down, so every packet to and from it is dropped and no connection gets a
// reset. Its processes keep running. Netns mode only.
func (c *Cluster) CutHost(ctx context.Context, i int) error {
	return c.setHostLink(ctx, i, "down")
}

// RestoreHost puts host i back on the network (the undo of CutHost).
func (c *Cluster) RestoreHost(ctx context.Context, i int) error {
	return c.setHostLink(ctx, i, "up")
}

func (c *Cluster) setHostLink(ctx context.Context, i int, state string) error {
	if !c.opts.Netns {
		return fmt.Errorf("testenv: cutting host %d off needs netns mode", i)
	}
	if err := c.checkHost(i); err != nil {
		return err
	}
	return ipCmd(ctx, "link", "set", c.vethName(i), state)
}
