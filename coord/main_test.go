package coord

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// The tests run against a real redis-server of their own on 127.0.N.80,
// N from $MHAGO_TESTENV_NET (see testenv/cluster.LoopbackNet).
var testHost = "127.0." + strconv.Itoa(loopbackNet()) + ".80"

func loopbackNet() int {
	n, _ := strconv.Atoi(os.Getenv("MHAGO_TESTENV_NET"))
	return n
}

const (
	testPort = 6379
	deadPort = 6399 // nothing listens there
)

var (
	redisMissing    bool // no redis-server binary, or -short: skip (fail under CI)
	redisMissingWhy error
	redisStartErr   error // binary present but it would not start: fail
)

func TestMain(m *testing.M) {
	RedisLogsTo(nil) // dial retries against the dead address are expected
	flag.Parse()
	var srv *redisServer
	var err error
	if testing.Short() {
		err = errShort // make unit starts no server
	} else {
		srv, err = startRedis(testPort)
	}
	switch {
	case err == errNoRedis, err == errShort:
		redisMissing, redisMissingWhy = true, err
	case err != nil:
		redisStartErr = err
	}
	code := m.Run()
	if srv != nil {
		srv.stop()
	}
	os.Exit(code)
}

var errNoRedis = fmt.Errorf("redis-server not installed (apt-get install -y redis-server)")

// errShort: -short runs no server.
var errShort = fmt.Errorf("starts redis-server (skipped by -short)")

type redisServer struct {
	cmd  *exec.Cmd
	addr string
}

// startRedis runs a throwaway redis-server (no persistence) on testHost:port
// and waits until it answers.
func startRedis(port int) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	dir, err := os.MkdirTemp("", "coord-redis-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--save", "", "--appendonly", "no", "--port", strconv.Itoa(port),
		"--bind", testHost, "--dir", dir)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &redisServer{cmd: cmd, addr: fmt.Sprintf("%s:%d", testHost, port)}
	if err := s.waitUp(5 * time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *redisServer) waitUp(limit time.Duration) error {
	c := NewClient(Options{Addr: s.addr, Timeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(limit)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s not up after %s: %w", s.addr, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills the server we started, by pid, and reaps it.
func (s *redisServer) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// needRedis returns a client to the test server, skipping (or failing under
// CI=true) when redis-server is not installed.
func needRedis(t *testing.T) *Client {
	t.Helper()
	if redisStartErr != nil {
		t.Fatal(redisStartErr)
	}
	if redisMissing {
		if os.Getenv("CI") == "true" {
			t.Fatal(redisMissingWhy)
		}
		t.Skip(redisMissingWhy)
	}
	c := NewClient(Options{Addr: fmt.Sprintf("%s:%d", testHost, testPort)})
	t.Cleanup(func() { c.Close() })
	return c
}

// testApp returns an application name no other test uses, so tests share
// the server without sharing keys.
func testApp(t *testing.T) string {
	return fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
