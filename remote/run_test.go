package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunOutputAndExitStatus(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	start := time.Now()
	_, c := dialHost(t, e, s, e.options())
	t.Logf("connect (TCP + handshake + auth) took %s", time.Since(start))

	res, err := c.Run(context.Background(), "echo out; echo err >&2; exit 3", nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" || res.ExitStatus != 3 {
		t.Fatalf("got stdout %q stderr %q status %d", res.Stdout, res.Stderr, res.ExitStatus)
	}
	if res.Duration <= 0 {
		t.Errorf("Duration not set")
	}
	t.Logf("Run round trip took %s", res.Duration)
}

func TestRunStdin(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	_, c := dialHost(t, e, s, e.options())

	in := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	res, err := c.Run(context.Background(), "wc -c", bytes.NewReader(in))
	if err != nil || res.ExitStatus != 0 {
		t.Fatalf("Run: %v, status %d", err, res.ExitStatus)
	}
	if got := strings.TrimSpace(string(res.Stdout)); got != strconv.Itoa(len(in)) {
		t.Fatalf("remote read %s bytes, want %d", got, len(in))
	}
	var out bytes.Buffer
	status, err := c.RunStream(context.Background(), "cat", bytes.NewReader(in), &out, nil)
	if err != nil || status != 0 || !bytes.Equal(out.Bytes(), in) {
		t.Fatalf("RunStream cat: err %v status %d, %d bytes back", err, status, out.Len())
	}
}

// remoteProcessGone waits until no local process has exactly this argv
// (the "remote" host is this machine).
func remoteProcessGone(t *testing.T, argv ...string) {
	t.Helper()
	want := strings.Join(argv, "\x00") + "\x00"
	deadline := time.Now().Add(3 * time.Second)
	for {
		if !processRunning(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("remote process %q still running", argv)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func processRunning(cmdline string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && string(b) == cmdline {
			return true
		}
	}
	return false
}

func waitProcess(t *testing.T, argv ...string) {
	t.Helper()
	want := strings.Join(argv, "\x00") + "\x00"
	for deadline := time.Now().Add(3 * time.Second); !processRunning(want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("remote process %q never started", argv)
		}
	}
}

func TestRunCommandTimeoutKills(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	opts := e.options()
	opts.CommandTimeout = time.Second
	_, c := dialHost(t, e, s, opts)

	start := time.Now()
	res, err := c.Run(context.Background(), "sleep 30.101", nil)
	elapsed := time.Since(start)
	if !errors.Is(err, ErrCommandTimeout) {
		t.Fatalf("want ErrCommandTimeout, got %v", err)
	}
	if elapsed > 3*time.Second {
		t.Errorf("timeout took %s", elapsed)
	}
	if res.ExitStatus != -1 || !strings.Contains(err.Error(), "root@"+hostAIP+":2222") {
		t.Errorf("status %d, err %q", res.ExitStatus, err)
	}
	remoteProcessGone(t, "sleep", "30.101")
	t.Logf("timeout returned after %s: %v", elapsed, err)

	// Compound commands: the background child and the exec'd last command die too.
	if _, err := c.Run(context.Background(), "sleep 30.103 & sleep 30.104", nil); !errors.Is(err, ErrCommandTimeout) {
		t.Fatalf("want ErrCommandTimeout, got %v", err)
	}
	remoteProcessGone(t, "sleep", "30.103")
	remoteProcessGone(t, "sleep", "30.104")

	// The connection is still usable after a kill.
	if res, err := c.Run(context.Background(), "true", nil); err != nil || res.ExitStatus != 0 {
		t.Fatalf("Run after timeout: %v", err)
	}
}

func TestRunContextCancel(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	opts := e.options()
	opts.CommandTimeout = time.Minute
	_, c := dialHost(t, e, s, opts)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		waitProcess(t, "sleep", "30.102")
		cancel()
	}()
	_, err := c.Run(ctx, "sleep 30.102", nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrCommandTimeout) {
		t.Fatalf("want context.Canceled only, got %v", err)
	}
	remoteProcessGone(t, "sleep", "30.102")
}

func TestRunKilledBySignal(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	_, c := dialHost(t, e, s, e.options())

	res, err := c.Run(context.Background(), "kill -TERM $$", nil)
	if err == nil || !strings.Contains(err.Error(), "signal TERM") {
		t.Fatalf("want error naming signal TERM, got %v (status %d)", err, res.ExitStatus)
	}
}

func TestPoolReusesConnection(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	p, c1 := dialHost(t, e, s, e.options())
	c2, err := p.Client(context.Background(), s.target())
	if err != nil {
		t.Fatal(err)
	}
	if c1 != c2 || c1.SSH() != c2.SSH() {
		t.Fatalf("second Client dialed a new connection")
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			c, err := p.Client(context.Background(), s.target())
			if err != nil {
				errs <- err
				return
			}
			if c.SSH() != c1.SSH() {
				errs <- fmt.Errorf("goroutine %d got another connection", i)
			}
			res, err := c.Run(context.Background(), Command("echo", strconv.Itoa(i)), nil)
			if err != nil || string(res.Stdout) != fmt.Sprintf("%d\n", i) {
				errs <- fmt.Errorf("goroutine %d: %v, %q", i, err, res.Stdout)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPoolRedialsAfterRestart(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	p, c1 := dialHost(t, e, s, e.options())
	s.restart()

	// The old connection is broken: Run on it fails as unreachable.
	if _, err := c1.Run(context.Background(), "true", nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Run on dropped connection: want ErrUnreachable, got %v", err)
	}
	c2, err := p.Client(context.Background(), s.target())
	if err != nil {
		t.Fatalf("redial: %v", err)
	}
	if c2.SSH() == c1.SSH() {
		t.Fatalf("pool handed out the broken connection")
	}
	if res, err := c2.Run(context.Background(), "echo ok", nil); err != nil || string(res.Stdout) != "ok\n" {
		t.Fatalf("Run after redial: %v %q", err, res.Stdout)
	}
}

func TestRunCommandArgvRoundTrip(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	_, c := dialHost(t, e, s, e.options())

	argv := []string{"it's", "$HOME", "a b", "`id`", "", "x;y", "*", "new\nline", "FOO=bar"}
	res, err := c.Run(context.Background(), Command(append([]string{"printf", "[%s]"}, argv...)...), nil)
	if err != nil || res.ExitStatus != 0 {
		t.Fatalf("Run: %v %q", err, res.Stderr)
	}
	want := "[" + strings.Join(argv, "][") + "]"
	if string(res.Stdout) != want {
		t.Fatalf("remote saw %q, want %q", res.Stdout, want)
	}
}
