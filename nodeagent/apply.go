package nodeagent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mhago/mhago/binlog"
	"github.com/mhago/mhago/nodeagent/proto"
)

// apply joins the diff files into one binlog stream and replays it through
// the host's binlog decoder and client in a single session, under the
// host's apply lock for the server's port. With SkipExecuted, transactions
// the server already has are left out, so a diff applied in part (or whole)
// by an earlier run is never applied twice.
func apply(ctx context.Context, req proto.ApplyRequest, report progressFunc) (proto.Response, error) {
	if len(req.Files) == 0 || req.Port <= 0 || req.Workdir == "" {
		return proto.Response{}, fmt.Errorf("apply needs files, a port and a workdir (got %d files, port %d, workdir %q)", len(req.Files), req.Port, req.Workdir)
	}
	dec, err := decoderCommand(req.ClientBindir, req.DisableLogBin)
	if err != nil {
		return proto.Response{}, err
	}
	c, err := newClientConn(req.ClientBindir, req.Workdir, req.Host, req.Port, req.User, req.Password)
	if err != nil {
		return proto.Response{}, err
	}
	defer c.close()
	lk, err := acquireApplyLock(ctx, req, lockDir(req))
	if err != nil {
		return proto.Response{}, err
	}
	defer lk.release()
	res := &proto.ApplyResult{Waited: lk.waited, Stopped: lk.stopped}
	err = applyLocked(ctx, req, dec, c, lk, res, report)
	return proto.Response{Apply: res}, err
}

// lockDir is where the host's apply lock lives: remote_workdir, which holds
// the agent's run directory.
func lockDir(req proto.ApplyRequest) string {
	if req.LockDir != "" {
		return req.LockDir
	}
	return filepath.Dir(filepath.Clean(req.Workdir))
}

// applyLocked does the work once the lock is held.
func applyLocked(ctx context.Context, req proto.ApplyRequest, dec decoder, c *clientConn, lk *applyLock, res *proto.ApplyResult, report progressFunc) error {
	if err := settlePrevious(ctx, c, lk.stale); err != nil {
		return err
	}
	left, err := restoreLeft(ctx, c, lk.settingsPath)
	res.SettingsLeft = left
	if err != nil {
		return err
	}
	executed, err := readExecuted(ctx, c, req.DisableLogBin)
	if err != nil && req.SkipExecuted {
		return fmt.Errorf("skip_executed: %w", err)
	}
	res.Tracked, res.Executed = executed.tracked, executed.text
	var ends []int64
	opts := []binlog.ExtractOption{binlog.CommitEnds(&ends)}
	if req.SkipExecuted && executed.tracked {
		opts = append(opts, binlog.SkipTransactions(executed.has))
	}
	merged := filepath.Join(req.Workdir, fmt.Sprintf("apply-%d.binlog", os.Getpid()))
	defer os.Remove(merged)
	st, err := mergeFiles(merged, req.Files, opts...)
	if err != nil {
		return err
	}
	fillApplyResult(res, st)
	if st.Events == 0 {
		res.Decoder = "none (nothing to apply)"
		return nil
	}
	header := st.Bytes
	if len(ends) > 0 {
		header -= ends[len(ends)-1]
	}
	in := replayed{path: merged, total: st.Bytes, header: header, ends: ends}
	return replayRaised(ctx, req.RunID, dec, c, in, lk, res, report)
}

// replayRaised replays the joined diff with the server's settings raised for the
// apply, and puts them back afterwards, whatever the outcome: with a
// fresh context when the apply's own was cancelled. The data applied
// stands even when a setting cannot be put back; that is a warning, and
// the record stays for the next apply.
func replayRaised(ctx context.Context, runID string, dec decoder, c *clientConn, in replayed, lk *applyLock, res *proto.ApplyResult, report progressFunc) (err error) {
	rec, warning, err := raiseSettings(ctx, c, lk.settingsPath, runID)
	res.SettingsWarning = warning
	if err != nil {
		return err
	}
	if rec != nil {
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreWait)
			defer cancel()
			var rerr error
			if res.Settings, rerr = restoreSettings(rctx, c, lk.settingsPath, rec); rerr != nil {
				res.SettingsWarning = strings.TrimPrefix(res.SettingsWarning+"; "+rerr.Error(), "; ")
				if err != nil {
					err = &applyError{fmt.Errorf("%w; and %w", err, rerr)}
				}
			}
		}()
	}
	res.Decoder, err = replay(ctx, dec, c, in, lk, report)
	if err != nil && warning != "" {
		err = &applyError{fmt.Errorf("%w (%s)", err, warning)}
	}
	return err
}

func fillApplyResult(res *proto.ApplyResult, st binlog.ExtractStats) {
	res.Bytes, res.Events, res.Transactions = st.Bytes, st.Events, st.Transactions
	res.FirstGTID, res.LastGTID, res.Trimmed = st.FirstGTID, st.LastGTID, st.Trimmed
	res.Skipped, res.SkippedFirstGTID, res.SkippedLastGTID = st.Skipped, st.SkippedFirstGTID, st.SkippedLastGTID
	if st.Truncated != nil {
		res.Truncated = st.Truncated.String()
	}
}

// mergeFiles writes the files as one stream that starts and ends at
// transaction boundaries: a transaction cut at the end of one file continues
// in the next; one that never ends (the master died) is trimmed.
func mergeFiles(out string, files []string, opts ...binlog.ExtractOption) (binlog.ExtractStats, error) {
	if len(files) == 0 {
		return binlog.ExtractStats{}, fmt.Errorf("no files to apply")
	}
	if err := startsAtTransaction(files[0]); err != nil {
		return binlog.ExtractStats{}, err
	}
	segs := make([]binlog.Segment, len(files))
	for i, f := range files {
		segs[i] = binlog.Segment{File: f}
	}
	w, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return binlog.ExtractStats{}, fmt.Errorf("create %s: %w", out, err)
	}
	st, err := binlog.Extract(w, segs, opts...)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("join %s: %w", strings.Join(files, ", "), err)
	}
	return st, nil
}

// errStop ends a scan early.
var errStop = errors.New("stop")

// startsAtTransaction refuses a first file whose first data event is not a
// transaction start: replaying the tail of a transaction without its head
// would apply half a transaction.
func startsAtTransaction(file string) error {
	var first *binlog.Event
	_, err := binlog.ScanFile(file, func(e binlog.Event) error {
		if e.Type.IsHeader() {
			return nil
		}
		first = &e
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if first != nil && !first.TxStart {
		return fmt.Errorf("%s starts at offset %d inside a transaction (%w): apply the diff that holds its beginning first",
			file, first.Offset, binlog.ErrMidTransaction)
	}
	return nil
}

// decoder is the binlog decoder and its options.
type decoder struct {
	path string
	args []string
}

// decoderCommand picks mariadb-binlog or mysqlbinlog. On MariaDB the GTID
// strict mode check is switched off: our joined stream has one header, but a
// stream that begins after a Gtid_list would otherwise be refused.
func decoderCommand(bindir string, disableLogBin bool) (decoder, error) {
	path, err := lookTool(bindir, "mariadb-binlog", "mysqlbinlog")
	if err != nil {
		return decoder{}, err
	}
	d := decoder{path: path}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a broken tool must not hang the apply
	defer cancel()
	help, _ := exec.CommandContext(ctx, path, "--help").CombinedOutput()
	if bytes.Contains(help, []byte("gtid-strict-mode")) {
		d.args = append(d.args, "--skip-gtid-strict-mode")
	}
	if disableLogBin {
		d.args = append(d.args, "--disable-log-bin")
	}
	return d, nil
}
