package remote

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Test fixture: a real OpenSSH sshd per host, key-only root login,
// everything (host key, authorized_keys, client key, known_hosts) in a
// short temp dir under /tmp.

const (
	sshdBin   = "/usr/sbin/sshd"
	sshdPort  = 2222
	testUser  = "root"
	readyWait = 5 * time.Second
)

// The sshds listen on 127.0.N.245 and .246, N from $MHAGO_TESTENV_NET (see
// testenv/cluster.LoopbackNet), clear of the testenv clusters other packages start.
var (
	hostAIP = loopbackIP(245)
	hostBIP = loopbackIP(246)
)

func loopbackIP(host int) string {
	n, _ := strconv.Atoi(os.Getenv("MHAGO_TESTENV_NET"))
	return fmt.Sprintf("127.0.%d.%d", n, host)
}

// sshEnv is the client side shared by the sshds of one test.
type sshEnv struct {
	dir        string
	clientKey  string // private key file
	knownHosts string
}

type sshd struct {
	t       testing.TB
	ip      string
	dir     string
	hostKey string   // private host key file (ed25519)
	extra   []string // more host key files, e.g. ecdsa
	cfg     string
	cmd     *exec.Cmd
}

func requireSSHD(t testing.TB) {
	t.Helper()
	if testing.Short() {
		skipOrFail(t, "starts sshd (skipped by -short)")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "sshd tests need root")
	}
	if _, err := os.Stat(sshdBin); err != nil {
		skipOrFail(t, sshdBin+" missing: apt-get install -y openssh-server")
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		skipOrFail(t, "ssh-keygen missing")
	}
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "mhago-remote-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func keygen(t testing.TB, file string, extra ...string) {
	t.Helper()
	args := append([]string{"-q", "-t", "ed25519", "-f", file, "-C", "mhago-test"}, extra...)
	if len(extra) == 0 {
		args = append(args, "-N", "")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v: %s", file, err, out)
	}
}

func newSSHEnv(t testing.TB) *sshEnv {
	t.Helper()
	requireSSHD(t)
	dir := shortTempDir(t)
	e := &sshEnv{dir: dir, clientKey: filepath.Join(dir, "id_ed25519"), knownHosts: filepath.Join(dir, "known_hosts")}
	keygen(t, e.clientKey)
	return e
}

func (e *sshEnv) options() Options {
	return Options{
		KeyFiles:       []string{e.clientKey, filepath.Join(e.dir, "missing_key")},
		KnownHostsFile: e.knownHosts,
		ConnectTimeout: 3 * time.Second,
	}
}

// startSSHD starts sshd on ip:2222 and records its host key in known_hosts.
func (e *sshEnv) startSSHD(t testing.TB, ip string) *sshd {
	t.Helper()
	s := e.newSSHD(t, ip)
	s.start()
	e.trust(t, s)
	return s
}

func (e *sshEnv) newSSHD(t testing.TB, ip string) *sshd {
	t.Helper()
	dir := filepath.Join(e.dir, "sshd-"+ip)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &sshd{t: t, ip: ip, dir: dir, hostKey: filepath.Join(dir, "host_ed25519"), cfg: filepath.Join(dir, "sshd_config")}
	keygen(t, s.hostKey)
	pub, err := os.ReadFile(e.clientKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "authorized_keys"), string(pub))
	writeFile(t, s.cfg, s.config())
	return s
}

func (s *sshd) config() string {
	return strings.Join([]string{
		fmt.Sprintf("ListenAddress %s:%d", s.ip, sshdPort),
		"HostKey " + s.hostKey,
		hostKeyLines(s.extra),
		"PidFile none",
		"AuthorizedKeysFile " + filepath.Join(s.dir, "authorized_keys"),
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"MaxSessions 64",
		"MaxStartups 64",
		"LogLevel ERROR",
		"Subsystem sftp internal-sftp",
	}, "\n") + "\n"
}

func hostKeyLines(files []string) string {
	var lines []string
	for _, f := range files {
		lines = append(lines, "HostKey "+f)
	}
	return strings.Join(lines, "\n")
}

// addECDSAHostKey gives s an ecdsa host key too, listed before ed25519 so
// the server would pick it if the client let it.
func (s *sshd) addECDSAHostKey() {
	f := filepath.Join(s.dir, "host_ecdsa")
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ecdsa", "-f", f, "-N", "").CombinedOutput()
	if err != nil {
		s.t.Fatalf("ssh-keygen ecdsa: %v: %s", err, out)
	}
	s.extra = append(s.extra, f)
	writeFile(s.t, s.cfg, s.config())
}

func writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// trust writes the sshd's host key to known_hosts as "[ip]:2222 key".
func (e *sshEnv) trust(t testing.TB, s *sshd) {
	t.Helper()
	pub, err := os.ReadFile(s.hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(pub))
	line := fmt.Sprintf("[%s]:%d %s %s\n", s.ip, sshdPort, fields[0], fields[1])
	f, err := os.OpenFile(e.knownHosts, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line); err != nil {
		t.Fatal(err)
	}
}

func (s *sshd) target() Target {
	return Target{Name: "host-" + s.ip, Host: s.ip, Port: sshdPort, User: testUser}
}

func (s *sshd) start() {
	t := s.t
	t.Helper()
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshdBin, "-D", "-e", "-f", s.cfg)
	cmd.Stderr = &testLogWriter{t: t, prefix: "sshd " + s.ip + ": "}
	cmd.WaitDelay = 2 * time.Second // children holding stderr must not hang stop
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	s.cmd = cmd
	t.Cleanup(s.stop)
	s.waitReady()
}

func (s *sshd) waitReady() {
	t := s.t
	addr := net.JoinHostPort(s.ip, strconv.Itoa(sshdPort))
	deadline := time.Now().Add(readyWait)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sshd on %s not ready after %s", addr, readyWait)
}

// stop kills the listener and its per-connection children (which OpenSSH
// leaves running on their own), all by pid, so clients see their
// connections drop as they would when a host goes down.
func (s *sshd) stop() {
	if s.cmd == nil {
		return
	}
	// Children first, so the listener reaps them and no zombie is left.
	for _, pid := range childPids(s.cmd.Process.Pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(20 * time.Millisecond)
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

func (s *sshd) restart() {
	s.stop()
	s.start()
}

// childPids lists the direct children of pid from /proc.
func childPids(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if parentPid(child) == pid {
			out = append(out, child)
		}
	}
	return out
}

func parentPid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the ")" closing the command name: state ppid ...
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return -1
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

type testLogWriter struct {
	t      testing.TB
	prefix string
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("kex_exchange_identification")) {
		return len(p), nil // waitReady's TCP probe
	}
	w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// dialHost returns a pool and a connected client to s.
func dialHost(t testing.TB, e *sshEnv, s *sshd, opts Options) (*Pool, *Client) {
	t.Helper()
	p := NewPool(opts)
	t.Cleanup(func() { p.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.Client(ctx, s.target())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return p, c
}
