package remote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Pool keeps one SSH connection per target (user@host:port) and hands it
// out to every caller; a connection found broken is redialed.
type Pool struct {
	opts  Options
	log   *slog.Logger
	hosts *knownHosts

	mu     sync.Mutex
	conns  map[string]*poolEntry
	closed bool

	agentOnce    sync.Once
	agentSigners func() ([]ssh.Signer, error)
	agentClose   func() error
	agentErr     error
}

// poolEntry's mutex is held while dialing, so concurrent callers for the
// same host wait for a single dial instead of racing several.
type poolEntry struct {
	mu     sync.Mutex
	client *Client
}

// NewPool creates an empty pool; nothing is dialed until Client.
func NewPool(opts Options) *Pool {
	return &Pool{
		opts:  opts,
		log:   opts.logger(),
		hosts: &knownHosts{file: opts.KnownHostsFile, acceptNew: opts.AcceptUnknownHosts},
		conns: map[string]*poolEntry{},
	}
}

// Client returns the connection to t, dialing it on first use or when the
// previous one is broken.
func (p *Pool) Client(ctx context.Context, t Target) (*Client, error) {
	if t.Host == "" || t.User == "" {
		return nil, fmt.Errorf("ssh %s: target needs both host and user", t)
	}
	e, err := p.entry(t)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.client != nil && e.client.alive(ctx) {
		return e.client, nil
	}
	if e.client != nil {
		p.log.Info("ssh connection broken, redialing", "target", t.String())
		e.client.close()
		e.client = nil
	}
	c, err := p.dial(ctx, t)
	if err != nil {
		return nil, err
	}
	e.client = c
	return c, nil
}

func (p *Pool) entry(t Target) (*poolEntry, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("ssh %s: pool is closed", t)
	}
	key := t.User + "@" + t.addr()
	e := p.conns[key]
	if e == nil {
		e = &poolEntry{}
		p.conns[key] = e
	}
	return e, nil
}

// Close closes every connection and the agent connection.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	entries := p.conns
	p.conns = map[string]*poolEntry{}
	p.mu.Unlock()
	var errs []error
	for _, e := range entries {
		e.mu.Lock()
		if e.client != nil {
			errs = append(errs, e.client.close())
		}
		e.mu.Unlock()
	}
	if p.agentClose != nil {
		errs = append(errs, p.agentClose())
	}
	return errors.Join(errs...)
}

func (p *Pool) dial(ctx context.Context, t Target) (*Client, error) {
	start := time.Now()
	cfg, err := p.clientConfig(t)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, t.connectTimeout(p.opts))
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", t.addr())
	if err != nil {
		return nil, targetErr(t, "dial", ErrUnreachable, err)
	}
	sc, err := handshake(ctx, conn, t, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	p.log.Debug("ssh connected", "target", t.String(), "elapsed", time.Since(start))
	return newClient(t, p.opts, p.log, sc), nil
}

func (p *Pool) clientConfig(t Target) (*ssh.ClientConfig, error) {
	auth, err := p.authMethods(t)
	if err != nil {
		return nil, targetErr(t, "load keys", ErrAuth, err)
	}
	verify, algos, err := p.hosts.callback(t)
	if err != nil {
		return nil, targetErr(t, "load known hosts", ErrHostKey, err)
	}
	return &ssh.ClientConfig{
		User:              t.User,
		Auth:              auth,
		HostKeyCallback:   verify,
		HostKeyAlgorithms: algos,
		Timeout:           t.connectTimeout(p.opts),
	}, nil
}

// handshake runs the SSH handshake bounded by ctx (connect timeout or
// caller cancellation), which ssh.NewClientConn does not watch itself.
func handshake(ctx context.Context, conn net.Conn, t Target, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	c, chans, reqs, err := ssh.NewClientConn(conn, t.addr(), cfg)
	if !stop() && err == nil {
		c.Close()
		err = ctx.Err()
	}
	if err != nil {
		return nil, classifyHandshake(t, err)
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

func classifyHandshake(t Target, err error) error {
	var hk *HostKeyError
	if errors.As(err, &hk) {
		return hk
	}
	if errors.Is(err, ErrHostKey) {
		return targetErr(t, "handshake", nil, err)
	}
	// x/crypto has no typed client-side auth error; this text is stable.
	if strings.Contains(err.Error(), "unable to authenticate") {
		return targetErr(t, "handshake", ErrAuth, err)
	}
	return targetErr(t, "handshake", ErrUnreachable, err)
}
