package remote

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pkg/sftp"
)

// Copy streams fromPath on one host to toPath on another through this
// process, without a copy on local disk: concurrent SFTP reads on the
// source feed concurrent SFTP writes on the destination. The destination
// is written atomically (temp + rename) with the source's permissions and
// its final size is checked. progress, if not nil, is called as data
// arrives, last with done == total.
func Copy(ctx context.Context, from *Client, fromPath string, to *Client, toPath string, progress func(done, total int64)) (int64, error) {
	src, err := from.sftpClient()
	if err != nil {
		return 0, err
	}
	dst, err := to.sftpClient()
	if err != nil {
		return 0, err
	}
	f, err := src.Open(fromPath)
	if err != nil {
		return 0, targetErr(from.target, "copy: open "+fromPath, nil, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, targetErr(from.target, "copy: stat "+fromPath, nil, err)
	}
	n, err := copyFile(ctx, f, dst, toPath, info, progress)
	if err != nil {
		return n, fmt.Errorf("copy %s:%s to %s:%s: %w", from.target, fromPath, to.target, toPath, err)
	}
	return n, nil
}

func copyFile(ctx context.Context, f *sftp.File, dst *sftp.Client, toPath string, info os.FileInfo, progress func(done, total int64)) (int64, error) {
	total := info.Size()
	pr, pw := io.Pipe()
	readErr := make(chan error, 1)
	go func() {
		_, err := f.WriteTo(pw) // concurrent reads, delivered in order
		pw.CloseWithError(err)
		readErr <- err
	}()
	r := &progressReader{r: ctxReader{ctx, pr}, total: total, progress: progress}
	n, err := writeAtomic(dst, toPath, info.Mode().Perm(), r, total)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the reader goroutine on failure
	if rerr := <-readErr; err == nil && rerr != nil {
		err = rerr
	}
	return n, err
}

// checkSize verifies both the byte count streamed and the size on disk.
func checkSize(s *sftp.Client, p string, n, want int64) error {
	if n != want {
		return fmt.Errorf("size mismatch: wrote %d bytes, source has %d", n, want)
	}
	fi, err := s.Stat(p)
	if err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	if fi.Size() != want {
		return fmt.Errorf("size mismatch: %s has %d bytes, source has %d", p, fi.Size(), want)
	}
	return nil
}

type progressReader struct {
	r        io.Reader
	done     int64
	total    int64
	progress func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.progress != nil && n > 0 {
		p.progress(p.done, p.total)
	}
	return n, err
}
