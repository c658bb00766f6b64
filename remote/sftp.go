package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/pkg/sftp"
)

// sftpConcurrency is the number of in-flight 32 KiB requests per file;
// enough to fill a LAN link while keeping memory per transfer ~2 MiB.
const sftpConcurrency = 64

// sftpClient returns the connection's SFTP session, opening it on first use
// and again after it broke.
func (c *Client) sftpClient() (*sftp.Client, error) {
	c.touch()
	c.sftpMu.Lock()
	defer c.sftpMu.Unlock()
	if c.sftp != nil {
		return c.sftp, nil
	}
	s, err := sftp.NewClient(c.conn,
		sftp.UseConcurrentWrites(true),
		sftp.MaxConcurrentRequestsPerFile(sftpConcurrency))
	if err != nil {
		return nil, targetErr(c.target, "start sftp", nil, err)
	}
	c.sftp = s
	go func() {
		s.Wait()
		c.sftpMu.Lock()
		if c.sftp == s {
			c.sftp = nil
		}
		c.sftpMu.Unlock()
	}()
	return s, nil
}

// withSFTP runs fn with the SFTP session and names target and op in errors.
func (c *Client) withSFTP(op string, fn func(*sftp.Client) error) error {
	s, err := c.sftpClient()
	if err != nil {
		return err
	}
	if err := fn(s); err != nil {
		return targetErr(c.target, op, nil, err)
	}
	return nil
}

// Stat returns the remote file's info (follows symlinks). A missing file
// gives an error matching fs.ErrNotExist.
func (c *Client) Stat(p string) (os.FileInfo, error) {
	var fi os.FileInfo
	err := c.withSFTP("stat "+p, func(s *sftp.Client) (err error) {
		fi, err = s.Stat(p)
		return err
	})
	return fi, err
}

// ReadDir lists a remote directory.
func (c *Client) ReadDir(p string) ([]os.FileInfo, error) {
	var list []os.FileInfo
	err := c.withSFTP("read dir "+p, func(s *sftp.Client) (err error) {
		list, err = s.ReadDir(p)
		return err
	})
	return list, err
}

// Lstat is Stat without following a final symlink.
func (c *Client) Lstat(p string) (os.FileInfo, error) {
	var fi os.FileInfo
	err := c.withSFTP("lstat "+p, func(s *sftp.Client) (err error) {
		fi, err = s.Lstat(p)
		return err
	})
	return fi, err
}

// MkdirAll creates p and missing parents with mode; existing dirs are kept.
func (c *Client) MkdirAll(p string, mode os.FileMode) error {
	return c.withSFTP("mkdir -p "+p, func(s *sftp.Client) error {
		return mkdirAll(s, path.Clean(p), mode)
	})
}

func mkdirAll(s *sftp.Client, p string, mode os.FileMode) error {
	fi, err := s.Stat(p)
	if err == nil && fi.IsDir() {
		return nil
	}
	if err == nil {
		return fmt.Errorf("%s exists and is not a directory", p)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := path.Dir(p); parent != p {
		if err := mkdirAll(s, parent, mode); err != nil {
			return err
		}
	}
	if err := s.Mkdir(p); err != nil {
		if fi, serr := s.Stat(p); serr == nil && fi.IsDir() {
			return nil // created concurrently
		}
		return err
	}
	return s.Chmod(p, mode)
}

// Remove removes a file or an empty directory.
func (c *Client) Remove(p string) error {
	return c.withSFTP("remove "+p, func(s *sftp.Client) error { return s.Remove(p) })
}

// RemoveAll removes p recursively; like os.RemoveAll a missing p is not an error.
func (c *Client) RemoveAll(p string) error {
	return c.withSFTP("remove -r "+p, func(s *sftp.Client) error {
		err := s.RemoveAll(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	})
}

// Upload writes r to remotePath with mode. Data goes to a temporary file in
// the same directory which is renamed over remotePath at the end, so no
// reader ever sees a half-written file under the final name.
func (c *Client) Upload(ctx context.Context, r io.Reader, remotePath string, mode os.FileMode) (int64, error) {
	var n int64
	err := c.withSFTP("upload "+remotePath, func(s *sftp.Client) (err error) {
		n, err = writeAtomic(s, remotePath, mode, ctxReader{ctx, r}, -1)
		return err
	})
	return n, err
}

// Download copies remotePath into w.
func (c *Client) Download(ctx context.Context, remotePath string, w io.Writer) (int64, error) {
	var n int64
	err := c.withSFTP("download "+remotePath, func(s *sftp.Client) error {
		f, err := s.Open(remotePath)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err = f.WriteTo(ctxWriter{ctx, w}) // concurrent reads, in-order writes
		return err
	})
	return n, err
}

// writeAtomic writes r to a temp file next to dst, then renames it over dst.
// With want >= 0 the temp file must hold exactly want bytes before the
// rename. The temp file is removed on any failure.
func writeAtomic(s *sftp.Client, dst string, mode os.FileMode, r io.Reader, want int64) (n int64, err error) {
	tmp := tempName(dst)
	f, err := s.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			s.Remove(tmp)
		}
	}()
	// chmod before any data lands, so a 0600 file is never briefly 0644.
	if err = f.Chmod(mode); err != nil {
		return 0, fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if n, err = f.ReadFromWithConcurrency(r, sftpConcurrency); err != nil {
		return n, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("close %s: %w", tmp, err)
	}
	if want >= 0 {
		if err = checkSize(s, tmp, n, want); err != nil {
			return n, err
		}
	}
	if err = s.PosixRename(tmp, dst); err != nil {
		return n, fmt.Errorf("rename %s to %s: %w", tmp, dst, err)
	}
	return n, nil
}

// tempName is a hidden, unique sibling of p.
func tempName(p string) string {
	var b [6]byte
	rand.Read(b[:])
	return path.Join(path.Dir(p), "."+path.Base(p)+".mhago-"+hex.EncodeToString(b[:])+".tmp")
}

// ctxReader and ctxWriter make SFTP transfers, which take no context,
// stop at the next chunk once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (w ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.w.Write(p)
}

// Touch sets p's modification time to now.
func (c *Client) Touch(p string) error {
	now := time.Now()
	return c.withSFTP("touch "+p, func(s *sftp.Client) error { return s.Chtimes(p, now, now) })
}
