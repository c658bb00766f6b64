package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mhago/mhago/internal/atomicfile"
)

// RedisNode is one redis-server (or sentinel) of a RedisGroup.
type RedisNode struct {
	Name string   `json:"name"` // node1.., sentinel1..
	Addr string   `json:"addr"` // ip:port
	Dir  string   `json:"dir"`  // working dir, log and config
	Proc Proc     `json:"proc"`
	Args []string `json:"args"` // argv, to start it again
}

// Log is the node's log file.
func (n RedisNode) Log() string { return filepath.Join(n.Dir, "redis.log") }

// redisGroupState is persisted to <dir>/state.json, as a Cluster's is, so
// that a test's cleanup or an operator finds every pid.
type redisGroupState struct {
	Kind  string      `json:"kind"` // "cluster" or "sentinel"
	Nodes []RedisNode `json:"nodes"`
}

// RedisGroup is a set of redis-server processes a test started on
// loopback: a Redis Cluster (StartRedisCluster) or a Sentinel setup
// (StartSentinel). Down stops them by pid.
type RedisGroup struct {
	dir      string
	password string
	mu       sync.Mutex
	st       redisGroupState
}

// Dir is the group's root directory.
func (g *RedisGroup) Dir() string { return g.dir }

// Nodes returns the group's nodes as last recorded.
func (g *RedisGroup) Nodes() []RedisNode {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]RedisNode(nil), g.st.Nodes...)
}

func (g *RedisGroup) node(name string) (RedisNode, error) {
	for _, n := range g.Nodes() {
		if n.Name == name {
			return n, nil
		}
	}
	return RedisNode{}, fmt.Errorf("testenv: no redis node %s in %s", name, g.dir)
}

func (g *RedisGroup) nodeByAddr(addr string) (RedisNode, error) {
	for _, n := range g.Nodes() {
		if n.Addr == addr {
			return n, nil
		}
	}
	return RedisNode{}, fmt.Errorf("testenv: no redis node at %s in %s", addr, g.dir)
}

func (g *RedisGroup) save() error {
	g.mu.Lock()
	b, err := json.MarshalIndent(g.st, "", "  ")
	g.mu.Unlock()
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(g.dir, stateFile), b, 0o600)
}

// spawnNode starts n from n.Args and records its pid.
func (g *RedisGroup) spawnNode(n RedisNode) error {
	p, err := spawn(n.Log(), n.Args)
	if err != nil {
		return fmt.Errorf("redis %s: %w", n.Name, err)
	}
	g.mu.Lock()
	n.Proc = p
	found := false
	for i := range g.st.Nodes {
		if g.st.Nodes[i].Name == n.Name {
			g.st.Nodes[i], found = n, true
		}
	}
	if !found {
		g.st.Nodes = append(g.st.Nodes, n)
	}
	g.mu.Unlock()
	if err := g.save(); err != nil {
		return err
	}
	return g.waitNode(n, p)
}

func (g *RedisGroup) waitNode(n RedisNode, p Proc) error {
	err := waitFor(p, 15*time.Second, func() error {
		c := g.client(n.Addr)
		defer c.Close()
		return c.Ping(context.Background()).Err()
	})
	if err != nil {
		return processError(fmt.Sprintf("redis %s %s (pid %d)", n.Name, n.Addr, p.Pid), n.Log(), err)
	}
	return nil
}

// client is a plain connection to one node, for setting the group up and
// for tests to look at one node directly.
func (g *RedisGroup) client(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: g.password, DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, MaxRetries: -1, DisableIdentity: true})
}

// NodeClient is a client of node name alone (no redirection, no Sentinel):
// tests use it to look at what one server holds. The caller closes it.
func (g *RedisGroup) NodeClient(name string) (*redis.Client, error) {
	n, err := g.node(name)
	if err != nil {
		return nil, err
	}
	return g.client(n.Addr), nil
}

// Kill SIGKILLs node name and waits until it is gone.
func (g *RedisGroup) Kill(name string) error {
	n, err := g.node(name)
	if err != nil {
		return err
	}
	if err := killProc(n.Proc); err != nil {
		return fmt.Errorf("kill redis %s: %w", name, err)
	}
	return nil
}

// Pause stops node name with SIGSTOP (it neither answers nor replicates);
// Resume continues it.
func (g *RedisGroup) Pause(name string) error { return g.signal(name, syscall.SIGSTOP) }

// Resume sends SIGCONT to a paused node.
func (g *RedisGroup) Resume(name string) error { return g.signal(name, syscall.SIGCONT) }

func (g *RedisGroup) signal(name string, sig syscall.Signal) error {
	n, err := g.node(name)
	if err != nil {
		return err
	}
	if err := n.Proc.signal(sig); err != nil {
		return fmt.Errorf("signal %s to redis %s: %w", sig, name, err)
	}
	return nil
}

// Restart starts a killed node again with its arguments (and, for a
// cluster node, its nodes.conf) and waits until it answers.
func (g *RedisGroup) Restart(name string) error {
	n, err := g.node(name)
	if err != nil {
		return err
	}
	if n.Proc.Alive() {
		return fmt.Errorf("testenv: redis %s still runs (pid %d)", name, n.Proc.Pid)
	}
	return g.spawnNode(n)
}

// Down stops every process of the group (SIGTERM, then SIGKILL) and
// removes its directory. It is safe to call more than once.
func (g *RedisGroup) Down() error {
	var procs []Proc
	for _, n := range g.Nodes() {
		procs = append(procs, n.Proc)
	}
	if err := stopProcs(5*time.Second, procs...); err != nil {
		return fmt.Errorf("testenv: stop redis group %s: %w", g.dir, err)
	}
	return os.RemoveAll(g.dir)
}

// newRedisGroup makes the group's directory and registers Down as t's
// cleanup; a failed start keeps nothing running.
func newRedisGroup(t testing.TB, kind, password string) *RedisGroup {
	t.Helper()
	RequireRedis(t)
	dir, err := os.MkdirTemp("", "mhago-redis-"+kind+"-")
	if err != nil {
		t.Fatal(err)
	}
	g := &RedisGroup{dir: dir, password: password, st: redisGroupState{Kind: kind}}
	t.Cleanup(func() {
		if err := g.Down(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return g
}

// redisArgs is the argv shared by every data node: no persistence (a test
// wants a clean start), bound to ip:port, in its own dir. Secrets (the
// password, conf's ACL user lines) go into a 0600 config file, never into
// argv, where any local user could read them.
func redisArgs(bin, ip string, port int, dir, password string, conf ...string) ([]string, error) {
	if password != "" {
		conf = append(conf, "requirepass "+password, "masterauth "+password)
	}
	path := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(path, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("testenv: write %s: %w", path, err)
	}
	return []string{bin, path, "--bind", ip, "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--dir", dir, "--protected-mode", "no"}, nil
}

// RequireRedis skips (or, under CI=true, fails) a test that needs
// redis-server, like RequireBinaries does for a whole cluster.
func RequireRedis(t testing.TB) {
	t.Helper()
	requireNotShort(t)
	if _, err := findBinary("redis-server"); err == nil {
		return
	}
	if os.Getenv("CI") != "true" {
		t.Skip("needs redis-server (apt-get install redis-server)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := EnsurePackages(ctx); err != nil {
		t.Fatalf("CI=true and redis-server missing: %v", err)
	}
}

// pollUntil calls f every 100 ms until it returns nil or d passes.
func pollUntil(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")

func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("testenv: %w", err)
	}
	return nil
}

// RedisServerOptions describe one redis-server started by StartRedisServer.
type RedisServerOptions struct {
	Host int // listens on 127.0.<LoopbackNet>.Host; default 110
	Port int // default 6379
	// Password is the default user's (requirepass); the readiness probe
	// uses it.
	Password string
	// Conf are more redis.conf lines (user ..., tls-port ...); they may
	// hold secrets and go to a 0600 file.
	Conf []string
}

// StartRedisServer starts one redis-server with extra arguments, for tests
// of AUTH, ACL users and TLS; Down runs at cleanup.
func StartRedisServer(t testing.TB, opts RedisServerOptions) *RedisGroup {
	t.Helper()
	if opts.Host == 0 {
		opts.Host = 110
	}
	if opts.Port == 0 {
		opts.Port = 6379
	}
	g := newRedisGroup(t, "single", opts.Password)
	bin, err := findBinary("redis-server")
	if err != nil {
		t.Fatal(err)
	}
	ip := LoopbackIP(opts.Host)
	n := RedisNode{Name: "node1", Dir: filepath.Join(g.dir, "node1"), Addr: fmt.Sprintf("%s:%d", ip, opts.Port)}
	if err := mkdir(n.Dir); err != nil {
		t.Fatal(err)
	}
	if n.Args, err = redisArgs(bin, ip, opts.Port, n.Dir, opts.Password, opts.Conf...); err != nil {
		t.Fatal(err)
	}
	if err := g.spawnNode(n); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	return g
}
