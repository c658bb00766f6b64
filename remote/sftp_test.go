package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	_, c := dialHost(t, e, s, e.options())
	ctx := context.Background()

	dir := filepath.Join(e.dir, "files", "sub")
	if err := c.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if fi, err := c.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Fatalf("MkdirAll: %v %v", fi, err)
	}
	if err := c.MkdirAll(dir, 0o750); err != nil {
		t.Fatalf("MkdirAll on existing dir: %v", err)
	}

	data := randomBytes(t, 5<<20+123)
	file := filepath.Join(dir, "blob")
	n, err := c.Upload(ctx, bytes.NewReader(data), file, 0o640)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Upload: n=%d err=%v", n, err)
	}
	var got bytes.Buffer
	if n, err := c.Download(ctx, file, &got); err != nil || n != int64(len(data)) {
		t.Fatalf("Download: n=%d err=%v", n, err)
	}
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		t.Fatal("downloaded content differs")
	}
	fi, err := c.Stat(file)
	if err != nil || fi.Size() != int64(len(data)) || fi.Mode().Perm() != 0o640 {
		t.Fatalf("Stat: %v %v", fi, err)
	}

	// Overwrite goes through rename too and leaves no temp file.
	if _, err := c.Upload(ctx, strings.NewReader("small"), file, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); string(b) != "small" {
		t.Fatalf("overwrite: %q", b)
	}
	assertDirHolds(t, c, dir, "blob")

	if err := c.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat(file); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), hostAIP) {
		t.Fatalf("Stat after Remove: %v", err)
	}
	if err := c.RemoveAll(filepath.Join(e.dir, "files")); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveAll(filepath.Join(e.dir, "files")); err != nil {
		t.Fatalf("RemoveAll of missing path: %v", err)
	}
}

func assertDirHolds(t *testing.T, c *Client, dir string, names ...string) {
	t.Helper()
	list, err := c.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fi := range list {
		got = append(got, fi.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

// failingReader delivers n bytes then fails, like a source that breaks.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("source broke")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func TestUploadFailureLeavesNothing(t *testing.T) {
	e := newSSHEnv(t)
	s := e.startSSHD(t, hostAIP)
	_, c := dialHost(t, e, s, e.options())
	dir := filepath.Join(e.dir, "up")
	if err := c.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := c.Upload(context.Background(), &failingReader{n: 1 << 20}, filepath.Join(dir, "f"), 0o600)
	if err == nil || !strings.Contains(err.Error(), "source broke") {
		t.Fatalf("want source error, got %v", err)
	}
	assertDirHolds(t, c, dir) // neither the final name nor the temp file

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Upload(ctx, bytes.NewReader([]byte("x")), filepath.Join(dir, "f"), 0o600); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled upload: %v", err)
	}
	assertDirHolds(t, c, dir)
}

func TestCopyBetweenHosts(t *testing.T) {
	e := newSSHEnv(t)
	a := e.startSSHD(t, hostAIP)
	b := e.startSSHD(t, hostBIP)
	p, ca := dialHost(t, e, a, e.options())
	cb, err := p.Client(context.Background(), b.target())
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 8<<20+7)
	src, dst := filepath.Join(e.dir, "src.bin"), filepath.Join(e.dir, "dst.bin")
	if _, err := ca.Upload(context.Background(), bytes.NewReader(data), src, 0o604); err != nil {
		t.Fatal(err)
	}

	var calls int
	var last, lastTotal int64
	start := time.Now()
	n, err := Copy(context.Background(), ca, src, cb, dst, func(done, total int64) {
		if done < last {
			t.Errorf("progress went back: %d after %d", done, last)
		}
		calls++
		last, lastTotal = done, total
	})
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Copy: n=%d err=%v", n, err)
	}
	t.Logf("Copy %d bytes in %s, %d progress calls", n, time.Since(start), calls)
	if last != int64(len(data)) || lastTotal != int64(len(data)) {
		t.Fatalf("progress ended at %d/%d", last, lastTotal)
	}
	var got bytes.Buffer
	if _, err := cb.Download(context.Background(), dst, &got); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		t.Fatal("copied content differs")
	}
	if fi, _ := cb.Stat(dst); fi.Mode().Perm() != 0o604 {
		t.Errorf("mode not preserved: %v", fi.Mode())
	}

	_, err = Copy(context.Background(), ca, filepath.Join(e.dir, "nope"), cb, dst, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), hostAIP) {
		t.Fatalf("copy of missing file: %v", err)
	}
}

func BenchmarkCopy(b *testing.B) {
	const size = 64 << 20
	e := newSSHEnv(b)
	ha := e.startSSHD(b, hostAIP)
	hb := e.startSSHD(b, hostBIP)
	p, ca := dialHost(b, e, ha, e.options())
	cb, err := p.Client(context.Background(), hb.target())
	if err != nil {
		b.Fatal(err)
	}
	src, dst := filepath.Join(e.dir, "src.bin"), filepath.Join(e.dir, "dst.bin")
	if _, err := ca.Upload(context.Background(), io.LimitReader(rand.Reader, size), src, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := Copy(context.Background(), ca, src, cb, dst, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/time.Since(start).Seconds()/1e6, "MB/s")
}
