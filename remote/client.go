package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Client is one SSH connection to a host, shared by concurrent callers.
// Obtain it from a Pool, which owns and closes it.
type Client struct {
	target   Target
	opts     Options
	log      *slog.Logger
	conn     *ssh.Client
	dead     atomic.Bool
	lastUsed atomic.Int64 // unix nanoseconds

	sftpMu sync.Mutex
	sftp   *sftp.Client
}

// Result is the outcome of a command that ran to completion.
type Result struct {
	Stdout, Stderr []byte
	ExitStatus     int
	Duration       time.Duration
}

// idleProbeAfter: a connection idle longer than this is probed before being
// handed out, since a dead host leaves a half-open TCP connection behind.
const idleProbeAfter = 2 * time.Second

// killGrace bounds how long we wait for the server to acknowledge a killed
// session before giving up on the whole connection.
const killGrace = 5 * time.Second

func newClient(t Target, opts Options, log *slog.Logger, conn *ssh.Client) *Client {
	c := &Client{target: t, opts: opts, log: log, conn: conn}
	c.touch()
	go func() {
		conn.Wait()
		c.dead.Store(true)
	}()
	return c
}

// Target returns the target this client is connected to.
func (c *Client) Target() Target { return c.target }

// SSH exposes the underlying connection (tests use it to check reuse).
func (c *Client) SSH() *ssh.Client { return c.conn }

func (c *Client) touch() { c.lastUsed.Store(time.Now().UnixNano()) }

func (c *Client) close() error {
	c.dead.Store(true)
	return c.conn.Close()
}

// alive reports whether the connection can be reused, probing it with a
// keepalive request when it has been idle for a while.
func (c *Client) alive(ctx context.Context) bool {
	if c.dead.Load() {
		return false
	}
	if time.Since(time.Unix(0, c.lastUsed.Load())) < idleProbeAfter {
		return true
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := c.conn.SendRequest("keepalive@openssh.com", true, nil)
		done <- err
	}()
	timer := time.NewTimer(c.opts.connectTimeout())
	defer timer.Stop()
	select {
	case err := <-done:
		if err == nil {
			c.touch()
		}
		return err == nil
	case <-timer.C:
	case <-ctx.Done():
	}
	c.close() // unblocks SendRequest
	return false
}

// Run runs cmd through the login shell and collects its output. A non-zero
// exit status is not an error; errors are transport failures, a kill by
// signal, ErrCommandTimeout or the context's error.
func (c *Client) Run(ctx context.Context, cmd string, stdin io.Reader) (Result, error) {
	var stdout, stderr bytes.Buffer
	start := time.Now()
	status, err := c.RunStream(ctx, cmd, stdin, &stdout, &stderr)
	return Result{
		Stdout:     stdout.Bytes(),
		Stderr:     stderr.Bytes(),
		ExitStatus: status,
		Duration:   time.Since(start),
	}, err
}

// RunStream is Run with caller-supplied writers, for outputs too large to
// hold in memory. Nil writers discard. The exit status is -1 on error.
//
// When ctx is done or CommandTimeout elapses the command is killed: the
// SSH "signal" request (ignored by sshd for root logins) and, from a second
// session, SIGKILL to every remote process carrying this command's
// MHAGO_CMD marker in its environment; then the session is closed.
func (c *Client) RunStream(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c.touch()
	defer c.touch()
	marker := newMarker()
	sess, err := c.startSession(cmd, marker, stdin, stdout, stderr)
	if err != nil {
		return -1, err
	}
	defer sess.Close()
	ctx, cancel := c.commandContext(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		return c.exitResult(cmd, err)
	case <-ctx.Done():
		c.kill(sess, marker, done)
		return -1, c.cancelErr(ctx, cmd)
	}
}

// newMarker returns a unique token exported to each command, so all of
// its processes can be found on the remote host to be killed.
func newMarker() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// markerVar is exported to every command; its value is the marker.
const markerVar = "MHAGO_CMD"

func (c *Client) startSession(cmd, marker string, stdin io.Reader, stdout, stderr io.Writer) (*ssh.Session, error) {
	sess, err := c.conn.NewSession()
	if err != nil {
		c.close()
		return nil, targetErr(c.target, "open session", ErrUnreachable, err)
	}
	sess.Stdout, sess.Stderr = orDiscard(stdout), orDiscard(stderr)
	var in io.WriteCloser
	if stdin != nil {
		// Our own copy loop, not sess.Stdin: Wait would block on a reader
		// that never returns even after the command has exited.
		if in, err = sess.StdinPipe(); err != nil {
			sess.Close()
			return nil, targetErr(c.target, "open stdin", nil, err)
		}
	}
	c.log.Debug("ssh run", "target", c.target.String(), "cmd", cmd)
	// Exported rather than sent with Setenv, which sshd refuses unless
	// AcceptEnv lists it.
	if err := sess.Start(markedCommand(marker, cmd)); err != nil {
		sess.Close()
		return nil, targetErr(c.target, fmt.Sprintf("start %q", short(cmd)), nil, err)
	}
	if stdin != nil {
		go func() {
			io.Copy(in, stdin)
			in.Close()
		}()
	}
	return sess, nil
}

// markedCommand exports the marker to cmd and everything it starts, which
// is how kill finds them.
func markedCommand(marker, cmd string) string {
	return markerVar + "=" + marker + "; export " + markerVar + "; " + cmd
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// commandContext applies CommandTimeout; its expiry is told apart from the
// caller's own cancellation by the context cause.
func (c *Client) commandContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.opts.CommandTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, c.opts.CommandTimeout, ErrCommandTimeout)
}

// kill stops the remote command and waits for its session to end. If the
// server does not even acknowledge the close, the connection is deemed dead.
func (c *Client) kill(sess *ssh.Session, marker string, done <-chan error) {
	// The "signal" request only works with privilege separation, i.e. not
	// for root logins ("session signalling requires privilege separation"),
	// hence also killMarked.
	if err := sess.Signal(ssh.SIGKILL); err != nil {
		c.log.Debug("ssh signal failed", "target", c.target.String(), "err", err)
	}
	if err := c.killMarked(marker); err != nil {
		c.log.Warn("ssh kill of timed-out command failed", "target", c.target.String(), "err", err)
	}
	sess.Close()
	select {
	case <-done:
	case <-time.After(killGrace):
		c.close()
		<-done
	}
}

// killMarked kills, from a second session, every process whose
// environment holds the command's marker: the shell and all it started,
// even after the shell exec'd the last command (bash does) or forked
// children. Linux /proc and GNU grep -z are assumed on the remote host.
func (c *Client) killMarked(marker string) error {
	script := `pids=$(grep -lzx ` + ShellQuote(markerVar+"="+marker) + ` /proc/[0-9]*/environ 2>/dev/null` +
		` | sed 's|^/proc/||; s|/environ$||'); [ -z "$pids" ] || kill -KILL $pids`
	sess, err := c.conn.NewSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	errc := make(chan error, 1)
	go func() {
		out, err := sess.CombinedOutput(script)
		if err != nil {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		return err
	case <-time.After(c.opts.connectTimeout()):
		return errors.New("kill command timed out")
	}
}

func (c *Client) cancelErr(ctx context.Context, cmd string) error {
	if errors.Is(context.Cause(ctx), ErrCommandTimeout) {
		op := fmt.Sprintf("%q killed after %s", short(cmd), c.opts.CommandTimeout)
		return targetErr(c.target, op, ErrCommandTimeout, nil)
	}
	return targetErr(c.target, fmt.Sprintf("%q killed", short(cmd)), nil, ctx.Err())
}

func (c *Client) exitResult(cmd string, err error) (int, error) {
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr) && exitErr.Signal() != "":
		op := fmt.Sprintf("%q killed by signal %s", short(cmd), exitErr.Signal())
		return -1, targetErr(c.target, op, nil, err)
	case errors.As(err, &exitErr):
		return exitErr.ExitStatus(), nil
	}
	// No exit status means the channel went away under the command,
	// in practice because the connection dropped.
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return -1, targetErr(c.target, fmt.Sprintf("%q: connection lost", short(cmd)), ErrUnreachable, err)
	}
	return -1, targetErr(c.target, fmt.Sprintf("%q", short(cmd)), nil, err)
}

// short keeps error messages readable when cmd is a long script.
func short(cmd string) string {
	const max = 120
	if len(cmd) <= max {
		return cmd
	}
	return cmd[:max] + "..."
}
