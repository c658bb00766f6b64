package configsync

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
)

// The tests run real redis-servers of their own on 127.0.N.82, N from
// $MHAGO_TESTENV_NET: one shared on testPort, and one per test that
// restarts its server.
var testHost = "127.0." + os.Getenv("MHAGO_TESTENV_NET") + ".82"

const testPort = 6379

var (
	shared     *redisServer
	sharedErr  error
	errNoRedis = errors.New("redis-server not installed (apt-get install -y redis-server)")
	errShort   = errors.New("starts redis-server (skipped by -short)")
)

func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("MHAGO_TESTENV_NET") == "" {
		testHost = "127.0.0.82"
	}
	coord.RedisLogsTo(nil)
	if testing.Short() {
		sharedErr = errShort
	} else {
		shared, sharedErr = startRedis(testPort)
	}
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	os.Exit(code)
}

type redisServer struct {
	cmd  *exec.Cmd
	port int
	dir  string
}

func (s *redisServer) addr() string { return fmt.Sprintf("%s:%d", testHost, s.port) }

// startRedis runs a redis-server without persistence on testHost:port and
// waits until it answers.
func startRedis(port int) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	dir, err := os.MkdirTemp("", "configsync-redis-")
	if err != nil {
		return nil, err
	}
	s := &redisServer{port: port, dir: dir}
	s.cmd = exec.Command(bin, "--save", "", "--appendonly", "no", "--port", strconv.Itoa(port), "--bind", testHost, "--dir", dir)
	return s, s.start()
}

func (s *redisServer) start() error {
	s.cmd = exec.Command(s.cmd.Path, s.cmd.Args[1:]...)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	c := coord.NewClient(coord.Options{Addr: s.addr(), Timeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("redis-server on %s not up: %w", s.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server we started, by pid, and reaps it.
func (s *redisServer) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// needRedis skips without redis-server, but fails under CI=true.
func needRedis(t *testing.T, err error) {
	t.Helper()
	switch {
	case errors.Is(err, errNoRedis), errors.Is(err, errShort):
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	case err != nil:
		t.Fatal(err)
	}
}

// sharedClient is a client of the shared server.
func sharedClient(t *testing.T) *coord.Client {
	t.Helper()
	needRedis(t, sharedErr)
	c := coord.NewClient(coord.Options{Addr: shared.addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

// manager is one manager host's config file.
type manager struct {
	t    *testing.T
	path string
}

// newManager writes a config file named name in its own directory, with
// text whose {{redis}}, {{cluster}} and {{dir}} are filled in.
func newManager(t *testing.T, name, text, redisAddr, cluster string) *manager {
	t.Helper()
	dir := t.TempDir()
	text = strings.NewReplacer("{{redis}}", redisAddr, "{{cluster}}", cluster, "{{dir}}", dir).Replace(text)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	return &manager{t: t, path: p}
}

func (m *manager) cfg() *config.Config {
	m.t.Helper()
	c, err := config.Load(m.path, config.LoadOptions{})
	if err != nil {
		m.t.Fatal(err)
	}
	return c
}

func (m *manager) text() string {
	m.t.Helper()
	b, err := os.ReadFile(m.path)
	if err != nil {
		m.t.Fatal(err)
	}
	return string(b)
}

func (m *manager) part() string {
	m.t.Helper()
	p, err := Extract(m.text())
	if err != nil {
		m.t.Fatal(err)
	}
	return p
}

func testCluster(t *testing.T) string {
	return fmt.Sprintf("cs%d", time.Now().UnixNano())
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
