package nodeagent

import (
	"context"
	"fmt"
	"time"

	"github.com/mhago/mhago/internal/netprobe"
	"github.com/mhago/mhago/nodeagent/proto"
)

// maxProbe bounds a probe whatever the manager asks.
const maxProbe = 10 * time.Second

// probe connects from this host to a MySQL server and says whether it
// greeted, stayed silent or could not be reached.
func probe(ctx context.Context, r proto.ProbeRequest) (proto.Response, error) {
	timeout := time.Duration(r.TimeoutMS) * time.Millisecond
	if timeout <= 0 || timeout > maxProbe {
		return proto.Response{}, fmt.Errorf("probe %s: timeout %d ms outside 1..%d", r.Addr, r.TimeoutMS, maxProbe.Milliseconds())
	}
	reach, err := netprobe.Probe(ctx, r.Addr, timeout)
	res := &proto.ProbeResult{Reach: string(reach)}
	if err != nil {
		res.Detail = err.Error()
	}
	return proto.Response{Probe: res}, nil
}
