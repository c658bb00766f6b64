package nodeagent

import (
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

// progressFunc receives an apply's progress lines; nil drops them.
type progressFunc func(proto.ApplyProgress)

// replayed is the joined diff a replay decodes: its path, its size, its
// header's, and where each transaction ends after the header
// (binlog.CommitEnds).
type replayed struct {
	path          string
	total, header int64
	ends          []int64
}

// at is the progress once the decoder has read the file up to pos.
func (r replayed) at(pos int64) proto.ApplyProgress {
	data := pos - r.header
	n := sort.Search(len(r.ends), func(i int) bool { return r.ends[i] > data })
	return proto.ApplyProgress{Bytes: min(max(pos, 0), r.total), TotalBytes: r.total, Transactions: n, TotalTransactions: len(r.ends)}
}

// reportProgress writes, every progressEvery until stop is called, how far
// the decoder (pid) has read r: the client applies what the decoder
// read, less a pipe's worth. A transaction too large for that (the client
// takes a whole statement before it sends it) shows as read while the
// server still executes it; once the decoder is done, everything shows as
// read, once.
func reportProgress(report progressFunc, pid int, r replayed) (stop func()) {
	if report == nil {
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
				pos, open, ok := readOffset(pid, r.path)
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
