package nodeagent

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
)

// progressEvery is how often a running replay reports how far it got.
const progressEvery = time.Second

type progressKey struct{}
type replayedKey struct{}

// withProgress passes the writer of interim progress lines to apply.
func withProgress(ctx context.Context, f func(proto.ApplyProgress)) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

// replayed is what the merged file holds: its size, its header's, and
// where each transaction ends after the header (binlog.CommitEnds).
type replayed struct {
	total, header int64
	ends          []int64
}

func withReplayed(ctx context.Context, r replayed) context.Context {
	return context.WithValue(ctx, replayedKey{}, r)
}

// at is the progress once the decoder has read the file up to pos.
func (r replayed) at(pos int64) proto.ApplyProgress {
	data := pos - r.header
	n := sort.Search(len(r.ends), func(i int) bool { return r.ends[i] > data })
	return proto.ApplyProgress{Bytes: min(max(pos, 0), r.total), TotalBytes: r.total, Transactions: n, TotalTransactions: len(r.ends)}
}

// reportProgress writes, every progressEvery until stop is called, how far
// the decoder (pid) has read file: the client applies what the decoder
// read, less a pipe's worth. A transaction too large for that (the client
// takes a whole statement before it sends it) shows as read while the
// server still executes it; once the decoder is done, everything shows as
// read, once.
func reportProgress(ctx context.Context, pid int, file string) (stop func()) {
	report, ok1 := ctx.Value(progressKey{}).(func(proto.ApplyProgress))
	r, ok2 := ctx.Value(replayedKey{}).(replayed)
	if !ok1 || !ok2 {
		return func() {}
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		decoded := false
		for {
			select {
			case <-done:
				return
			case <-t.C:
				pos, open, ok := readOffset(pid, file)
				switch {
				case ok:
					report(r.at(pos))
				case !open && !decoded:
					decoded = true
					report(r.at(r.total))
				}
			}
		}
	}()
	// stop returns once no report can be written any more: the response
	// follows on the same stdout.
	return func() {
		close(done)
		<-exited
	}
}

// readOffset is the file offset of the process's descriptor open on file,
// from /proc (Linux, as the agent's other process checks); open is false
// when the process no longer has file open (it finished, or exited).
func readOffset(pid int, file string) (pos int64, open, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0, false, false
	}
	want, _ := filepath.Abs(file)
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err != nil || target != want {
			continue
		}
		info, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + fd.Name())
		if err != nil {
			return 0, true, false
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "pos:"); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				return n, true, err == nil
			}
		}
		return 0, true, false
	}
	return 0, false, false
}
