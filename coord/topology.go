package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrStaleFence marks a topology publication refused because a newer
// failover (higher fence) already published.
var ErrStaleFence = errors.New("topology fence older than the published one")

// Node is one MySQL server as clients should reach it.
type Node struct {
	Name string `json:"name"`
	Host string `json:"host"`
	Port int    `json:"port"`
}

// Topology is the cluster layout published after a failover, for
// configuration managers and proxies to follow.
type Topology struct {
	Cluster   string    `json:"cluster"`
	Master    Node      `json:"master"`
	Replicas  []Node    `json:"replicas"`
	Fence     int64     `json:"fence"`
	RunID     string    `json:"run_id"`
	UpdatedAt time.Time `json:"updated_at"`
}

// publishScript stores and announces a topology in one step, unless the
// stored one carries a higher fence: a manager that lost its lock mid-run
// must not overwrite what its successor published. Returns {1} or {0, fence}.
var publishScript = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur then
  local ok, t = pcall(cjson.decode, cur)
  if ok and type(t) == "table" and tonumber(t.fence) and tonumber(t.fence) > tonumber(ARGV[2]) then
    return {0, tonumber(t.fence)}
  end
end
redis.call("SET", KEYS[1], ARGV[1])
redis.call("PUBLISH", KEYS[1], ARGV[1])
return {1}`)

// TopologyKey returns <prefix>:<cluster>:topology, both the key holding the
// current topology and the channel announcing changes.
func TopologyKey(prefix, cluster string) string { return Key(prefix, cluster, "topology") }

// PublishTopology stores t as JSON under TopologyKey and publishes it on the
// channel of the same name. Empty t.Cluster and t.UpdatedAt are filled in. It
// fails with ErrStaleFence if the stored topology has a higher fence.
func PublishTopology(ctx context.Context, c *Client, prefix, cluster string, t Topology) error {
	key := TopologyKey(prefix, cluster)
	raw, err := encodeTopology(cluster, t)
	if err != nil {
		return fmt.Errorf("publish topology %s: %w", key, err)
	}
	res, err := publishScript.Run(ctx, c, []string{key}, raw, t.Fence).Int64Slice()
	if err != nil {
		return redisErr("publish topology "+key, c, err)
	}
	if len(res) == 2 && res[0] == 0 {
		return fmt.Errorf("publish topology %s with fence %d: %w (%d)", key, t.Fence, ErrStaleFence, res[1])
	}
	return nil
}

func encodeTopology(cluster string, t Topology) (string, error) {
	if t.Cluster == "" {
		t.Cluster = cluster
	}
	if t.Cluster != cluster {
		return "", fmt.Errorf("topology is for cluster %q, not %q", t.Cluster, cluster)
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = time.Now().UTC()
	}
	if t.Replicas == nil {
		t.Replicas = []Node{} // [] rather than null for non-Go readers
	}
	b, err := json.Marshal(t)
	return string(b), err
}

// ReadTopology returns the stored topology, or nil and no error if none was
// published.
func ReadTopology(ctx context.Context, c *Client, prefix, cluster string) (*Topology, error) {
	key := TopologyKey(prefix, cluster)
	raw, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, redisErr("read topology "+key, c, err)
	}
	var t Topology
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("read topology %s: decode: %w", key, err)
	}
	return &t, nil
}

// watchIdle is how long a watch waits for traffic before pinging Redis to
// tell a quiet channel from a dead connection.
const watchIdle = 30 * time.Second

// WatchTopology calls fn with the stored topology (if any) and then with
// every topology published, until ctx is done; it then returns ctx.Err().
// After a lost connection it resubscribes and reads the stored topology
// again, so fn may see the same topology twice (compare Fence/UpdatedAt).
// fn runs on the caller's goroutine, one call at a time. Malformed messages
// are skipped. Only the first subscription's failure is returned.
func WatchTopology(ctx context.Context, c *Client, prefix, cluster string, fn func(Topology)) error {
	w := &topoWatch{c: c, prefix: prefix, cluster: cluster, key: TopologyKey(prefix, cluster), fn: fn}
	ps, err := w.subscribe(ctx)
	if err != nil {
		return err
	}
	for {
		w.session(ctx, ps)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if ps = w.resubscribe(ctx); ps == nil {
			return ctx.Err()
		}
	}
}

type topoWatch struct {
	c                    *Client
	prefix, cluster, key string
	fn                   func(Topology)
}

// subscribe opens a subscription, waits for Redis to confirm it, then hands
// fn the stored topology: anything published before the confirmation is in
// the stored copy, anything after arrives as a message.
func (w *topoWatch) subscribe(ctx context.Context) (*redis.PubSub, error) {
	ps := w.c.Subscribe(ctx)
	err := ps.Subscribe(ctx, w.key)
	if err == nil {
		_, err = ps.ReceiveTimeout(ctx, w.c.timeout)
	}
	if err != nil {
		_ = ps.Close()
		return nil, redisErr("subscribe to topology "+w.key, w.c, err)
	}
	t, err := ReadTopology(ctx, w.c, w.prefix, w.cluster)
	if err != nil {
		_ = ps.Close()
		return nil, err
	}
	if t != nil {
		w.fn(*t)
	}
	return ps, nil
}

// resubscribe retries subscribe with backoff until it works or ctx is done.
func (w *topoWatch) resubscribe(ctx context.Context) *redis.PubSub {
	wait := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if ps, err := w.subscribe(ctx); err == nil {
			return ps
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// session delivers messages until the connection fails, stays silent after
// a ping, or ctx is done. It always closes ps.
func (w *topoWatch) session(ctx context.Context, ps *redis.PubSub) {
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() }) // unblocks Receive
	defer stop()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, watchIdle)
		switch {
		case isTimeout(err) && !pinged:
			pinged = ps.Ping(ctx) == nil
		case err != nil:
			return
		default:
			pinged = false
			w.deliver(msg)
		}
	}
}

func (w *topoWatch) deliver(msg any) {
	m, ok := msg.(*redis.Message)
	if !ok {
		return
	}
	var t Topology
	if json.Unmarshal([]byte(m.Payload), &t) == nil {
		w.fn(t)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
