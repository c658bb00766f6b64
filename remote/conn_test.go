package remote

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func hostFingerprint(t *testing.T, s *sshd) string {
	t.Helper()
	b, err := os.ReadFile(s.hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

func connect(p *Pool, s *sshd) (*Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Client(ctx, s.target())
}

func TestUnknownHostRefused(t *testing.T) {
	e := newSSHEnv(t)
	s := e.newSSHD(t, hostAIP)
	s.start() // not trusted

	_, err := connect(NewPool(e.options()), s)
	var hk *HostKeyError
	if !errors.As(err, &hk) || !errors.Is(err, ErrHostKey) {
		t.Fatalf("want *HostKeyError, got %v", err)
	}
	if hk.Changed || hk.Fingerprint != hostFingerprint(t, s) || hk.Addr != "["+hostAIP+"]:2222" {
		t.Fatalf("unexpected %+v", hk)
	}
	if !strings.Contains(err.Error(), "--accept-new-host-keys") || !strings.Contains(err.Error(), "root@"+hostAIP+":2222") {
		t.Errorf("message lacks fix or target: %v", err)
	}
	if _, err := os.Stat(e.knownHosts); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("known_hosts was written: %v", err)
	}
}

func TestUnknownHostAcceptedOnFirstUse(t *testing.T) {
	e := newSSHEnv(t)
	s := e.newSSHD(t, hostAIP)
	s.start()
	opts := e.options()
	opts.AcceptUnknownHosts = true

	p := NewPool(opts)
	defer p.Close()
	if _, err := connect(p, s); err != nil {
		t.Fatalf("TOFU connect: %v", err)
	}
	b, err := os.ReadFile(e.knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "["+hostAIP+"]:2222 ssh-ed25519 ") {
		t.Fatalf("known_hosts = %q", b)
	}
	if fi, _ := os.Stat(e.knownHosts); fi.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode %v", fi.Mode())
	}
	// Now known: a strict pool connects.
	strict := NewPool(e.options())
	defer strict.Close()
	if _, err := connect(strict, s); err != nil {
		t.Fatalf("connect after TOFU: %v", err)
	}
}

func TestChangedHostKeyRefusedEvenWithAccept(t *testing.T) {
	e := newSSHEnv(t)
	other := filepath.Join(e.dir, "other_host_key")
	keygen(t, other)
	pub, _ := os.ReadFile(other + ".pub")
	f := strings.Fields(string(pub))
	// Line 1: an unrelated host; line 2: our address with the wrong key.
	writeFile(t, e.knownHosts, "[127.0.0.99]:2222 "+f[0]+" "+f[1]+"\n["+hostAIP+"]:2222 "+f[0]+" "+f[1]+"\n")
	before, _ := os.ReadFile(e.knownHosts)
	s := e.newSSHD(t, hostAIP)
	s.start()

	for _, accept := range []bool{false, true} {
		opts := e.options()
		opts.AcceptUnknownHosts = accept
		_, err := connect(NewPool(opts), s)
		var hk *HostKeyError
		if !errors.As(err, &hk) {
			t.Fatalf("accept=%v: want *HostKeyError, got %v", accept, err)
		}
		if !hk.Changed || hk.Line != 2 || hk.Fingerprint != hostFingerprint(t, s) || hk.KnownHostsFile != e.knownHosts {
			t.Fatalf("accept=%v: unexpected %+v", accept, hk)
		}
		msg := err.Error()
		for _, want := range []string{"man-in-the-middle", "reinstalled", hk.Fingerprint, "ssh-keygen -R '[" + hostAIP + "]:2222' -f " + e.knownHosts, "line 2"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q: %s", want, msg)
			}
		}
	}
	if after, _ := os.ReadFile(e.knownHosts); string(after) != string(before) {
		t.Errorf("known_hosts modified:\n%s", after)
	}
}

// The server also has an ecdsa key, which x/crypto would prefer by
// default; with only the ed25519 key on record the client must ask for it.
func TestKnownEd25519MatchedWhenServerAlsoHasECDSA(t *testing.T) {
	e := newSSHEnv(t)
	s := e.newSSHD(t, hostAIP)
	s.addECDSAHostKey()
	s.start()
	e.trust(t, s) // ed25519 only
	p := NewPool(e.options())
	defer p.Close()
	if _, err := connect(p, s); err != nil {
		t.Fatalf("connect: %v", err)
	}
}

func TestWrongKeyIsAuthError(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	opts := e.options()
	opts.KeyFiles = []string{filepath.Join(e.dir, "stranger")}
	keygen(t, opts.KeyFiles[0])

	_, err := connect(NewPool(opts), s)
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("want ErrAuth, got %v", err)
	}
}

// A host's own key (MHA's ssh_options -i) is tried before the pool's keys,
// and only for that host.
func TestTargetKeyFilesTriedFirst(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	opts := e.options()
	opts.KeyFiles = []string{filepath.Join(e.dir, "stranger")}
	keygen(t, opts.KeyFiles[0])
	p := NewPool(opts)
	defer p.Close()
	tg := s.target()
	tg.KeyFiles = []string{e.clientKey}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.Client(ctx, tg)
	if err != nil {
		t.Fatalf("the target's own key was not used: %v", err)
	}
	if res, err := c.Run(ctx, "true", nil); err != nil || res.ExitStatus != 0 {
		t.Fatalf("run over the connection: %+v %v", res, err)
	}
	if _, err := connect(NewPool(opts), s); !errors.Is(err, ErrAuth) {
		t.Fatalf("without the target key: want ErrAuth, got %v", err)
	}
}

func TestKeyFileErrors(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	enc := filepath.Join(e.dir, "encrypted")
	keygen(t, enc, "-N", "secret-passphrase")
	garbage := filepath.Join(e.dir, "garbage")
	writeFile(t, garbage, "not a key")

	for _, file := range []string{enc, garbage} {
		opts := e.options()
		opts.KeyFiles = []string{e.clientKey, file}
		_, err := connect(NewPool(opts), s)
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), file) {
			t.Errorf("want ErrAuth naming %s, got %v", file, err)
		}
		if strings.Contains(err.Error(), "secret-passphrase") {
			t.Errorf("secret in error")
		}
	}
	opts := e.options()
	opts.KeyFiles = []string{filepath.Join(e.dir, "nope")}
	if _, err := connect(NewPool(opts), s); !errors.Is(err, ErrAuth) {
		t.Errorf("no key at all: want ErrAuth, got %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	e := newSSHEnv(t)
	opts := e.options()
	opts.ConnectTimeout = 500 * time.Millisecond
	p := NewPool(opts)
	defer p.Close()

	// Nothing listening: refused at once.
	start := time.Now()
	_, err := p.Client(context.Background(), Target{Host: loopbackIP(247), Port: 2222, User: "root"})
	if !errors.Is(err, ErrUnreachable) || time.Since(start) > time.Second {
		t.Fatalf("want fast ErrUnreachable, got %v after %s", err, time.Since(start))
	}
	if !strings.Contains(err.Error(), "ssh root@"+loopbackIP(247)+":2222: ") {
		t.Errorf("error does not name target: %v", err)
	}

	// Accepts TCP but never speaks SSH: the connect timeout bounds the handshake.
	ln, err := net.Listen("tcp", loopbackIP(247)+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	start = time.Now()
	_, err = p.Client(context.Background(), Target{Name: "mute", Host: loopbackIP(247), Port: port, User: "root"})
	elapsed := time.Since(start)
	if !errors.Is(err, ErrUnreachable) || elapsed < 400*time.Millisecond || elapsed > 2*time.Second {
		t.Fatalf("want ErrUnreachable after ~500ms, got %v after %s", err, elapsed)
	}
	t.Logf("silent server: %v after %s", err, elapsed)
}

func TestAgentAuth(t *testing.T) {
	e := newSSHEnv(t)
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		skipOrFail(t, "ssh-agent missing")
	}
	s := e.startSSHD(t, hostAIP)
	sock := filepath.Join(e.dir, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent socket never appeared")
		}
	}
	add := exec.Command("ssh-add", e.clientKey)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)

	opts := e.options()
	opts.KeyFiles = nil
	opts.UseAgent = true
	p := NewPool(opts)
	defer p.Close()
	if _, err := connect(p, s); err != nil {
		t.Fatalf("agent auth: %v", err)
	}
	opts.UseAgent = false
	if _, err := connect(NewPool(opts), s); !errors.Is(err, ErrAuth) {
		t.Fatalf("without agent: want ErrAuth, got %v", err)
	}
}
