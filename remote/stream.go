package remote

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Stream is a command that keeps running while the caller talks to it
// through its stdin and stdout: one session for many requests, so a host
// whose login shell is slow to start pays for it once per run.
type Stream struct {
	c      *Client
	sess   *ssh.Session
	marker string
	Stdin  io.WriteCloser
	Stdout io.Reader

	stderr lockedBuffer
	done   chan struct{}
	status int
	err    error
}

// streamStderrMax bounds what is kept of a stream's stderr (for messages).
const streamStderrMax = 8 << 10

// Start runs cmd through the login shell and returns at once; the caller
// reads Stdout until it ends and calls Close when done.
func (c *Client) Start(cmd string) (*Stream, error) {
	c.touch()
	sess, err := c.conn.NewSession()
	if err != nil {
		c.close()
		return nil, targetErr(c.target, "open session", ErrUnreachable, err)
	}
	s := &Stream{c: c, sess: sess, marker: newMarker(), done: make(chan struct{})}
	if s.Stdin, err = sess.StdinPipe(); err == nil {
		s.Stdout, err = sess.StdoutPipe()
	}
	if err != nil {
		sess.Close()
		return nil, targetErr(c.target, "open pipes", nil, err)
	}
	sess.Stderr = &s.stderr
	c.log.Debug("ssh start", "target", c.target.String(), "cmd", cmd)
	if err := sess.Start(markedCommand(s.marker, cmd)); err != nil {
		sess.Close()
		return nil, targetErr(c.target, fmt.Sprintf("start %q", short(cmd)), nil, err)
	}
	go func() {
		s.status, s.err = c.exitResult(cmd, sess.Wait())
		close(s.done)
	}()
	return s, nil
}

// Result is the exit status, the end of stderr and the transport error of
// an ended command (status -1 with an error when it did not exit).
func (s *Stream) Result() (int, string, error) {
	<-s.done
	return s.status, s.stderr.String(), s.err
}

// Close ends the command: stdin is closed so it can exit by itself, and
// what is still running after grace is killed with all it started.
func (s *Stream) Close(grace time.Duration) {
	s.Stdin.Close()
	select {
	case <-s.done:
		return
	case <-time.After(grace):
	}
	ended := make(chan error, 1)
	go func() {
		<-s.done
		ended <- nil
	}()
	s.c.kill(s.sess, s.marker, ended)
}

// lockedBuffer keeps the first streamStderrMax bytes written to it; the SSH
// library writes stderr from its own goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := streamStderrMax - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// OwnerUID is the uid the SSH user's files get in dir: the owner of a file
// it creates there (and removes at once). SFTP has no "whoami"; this is
// the reference for checking that a directory or file is the user's own.
func (c *Client) OwnerUID(dir string) (uint32, error) {
	var uid uint32
	err := c.withSFTP("probe owner in "+dir, func(s *sftp.Client) error {
		p := tempName(dir + "/owner")
		f, err := s.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return err
		}
		f.Close()
		defer s.Remove(p)
		fi, err := s.Lstat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*sftp.FileStat)
		if !ok {
			return fmt.Errorf("the server reports no owner for %s", p)
		}
		uid = st.UID
		return nil
	})
	return uid, err
}
