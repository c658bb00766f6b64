package phases

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/repl"
)

// ErrBinlogServers: [binlogN] servers are configured, the dead master's
// binlog could not be saved, and none of them provided it.
var ErrBinlogServers = errors.New("binlog servers failed")

// saveDeadMasterBinlog (phase 3.2) saves what the dead master wrote beyond
// the latest replica's read position, over SSH, when its host answers.
// When it does not, MHA's binlog servers ([binlogN], copies of the master's
// binlog streamed as it wrote them) stand in for it: the one holding the
// most events is used. Without either, what no replica received is lost,
// and the report says so (MHA behaves the same); but when binlog servers
// are configured and none could help, the run stops before the point of no
// return unless --ignore-binlog-server-error, as in MHA.
func saveDeadMasterBinlog(ctx context.Context, st *State) error {
	from := readCoords(st.Latest[0])
	if done := st.saveFromDeadMaster(ctx, from); done || len(st.Binlogs) == 0 {
		return nil
	}
	err := st.saveFromBinlogServers(ctx, from)
	if err != nil && st.opts.IgnoreBinlogServerError {
		st.Report.LostAfter(st.Dead.Name(), from.File, from.Pos, fmt.Sprintf("binlog servers: %v (--ignore-binlog-server-error)", err))
		return nil
	}
	return err
}

// saveFromDeadMaster saves the dead master's own binlog; done is false when
// it could not be read at all (the binlog servers may still have it).
func (st *State) saveFromDeadMaster(ctx context.Context, from repl.Coordinates) (done bool) {
	switch {
	case st.opts.SkipSaveBinlog:
		st.Report.LostAfter(st.Dead.Name(), from.File, from.Pos, "not saved (--skip-save-binlog)")
		return true
	case !st.SSHReachable || st.Dead.Agent == nil:
		st.noteUnsaved(from, fmt.Sprintf("%s is unreachable over SSH (%v)", st.Dead.Name(), st.Dead.SSHErr))
		return false
	}
	res, err := st.save(ctx, st.Dead, from, "saved_master_binlog.binlog")
	if err != nil {
		st.noteUnsaved(from, fmt.Sprintf("save failed: %v", err))
		return false
	}
	st.useSaved(st.Dead, from, res)
	return true
}

func (st *State) noteUnsaved(from repl.Coordinates, why string) {
	if len(st.Binlogs) > 0 {
		st.Report.Note(fmt.Sprintf("dead master's binlog after %s: %s; trying the binlog servers", from, why))
		return
	}
	st.Report.LostAfter(st.Dead.Name(), from.File, from.Pos, why)
}

// saveFromBinlogServers saves from every reachable binlog server at once
// and keeps the copy with the most events.
func (st *State) saveFromBinlogServers(ctx context.Context, from repl.Coordinates) error {
	results := make([]*proto.ExtractResult, len(st.Binlogs))
	errs := st.each(ctx, st.Binlogs, func(ctx context.Context, st *State, h *Host) error {
		if h.Agent == nil {
			return fmt.Errorf("%s: no agent (%v)", h.Name(), h.SSHErr)
		}
		res, err := st.save(ctx, h, from, "saved_binlog_from_"+h.Name()+".binlog")
		results[slices.Index(st.Binlogs, h)] = res
		return err
	})
	best := -1
	var why []string
	for k, res := range results {
		if errs[k] != nil {
			why = append(why, errs[k].Error())
			continue
		}
		if best < 0 || res.Bytes > results[best].Bytes {
			best = k
		}
	}
	if best < 0 {
		return fmt.Errorf("%w: the dead master's binlog after %s could not be saved, and no binlog server provided it: %s (fix them, or pass --ignore-binlog-server-error to fail over without what no replica received)",
			ErrBinlogServers, from, strings.Join(why, "; "))
	}
	st.useSaved(st.Binlogs[best], from, results[best])
	return nil
}

// save runs the agent's save on h from the latest replica's read position.
func (st *State) save(ctx context.Context, h *Host, from repl.Coordinates, name string) (*proto.ExtractResult, error) {
	res, err := h.Agent.Save(ctx, proto.SaveRequest{BinlogDirs: h.Server.MasterBinlogDirs, StartFile: from.File,
		StartPos: int64(from.Pos), Output: path.Join(h.Agent.Dir(), name)})
	if err != nil {
		return nil, fmt.Errorf("save binlog after %s on %s: %w", from, h.Name(), err)
	}
	return res, nil
}

// useSaved makes a saved binlog the last diff of every replica.
func (st *State) useSaved(src *Host, from repl.Coordinates, res *proto.ExtractResult) {
	if res.Truncated != "" {
		st.Report.Note(fmt.Sprintf("%s's newest binlog ends in an incomplete event (crash mid-write): %s", src.Name(), res.Truncated))
	}
	if res.Note != "" {
		st.Report.Note(src.Name() + ": " + res.Note)
	}
	if res.Events == 0 {
		st.Report.Note(fmt.Sprintf("%s had nothing beyond %s", src.Name(), from))
		return
	}
	if src != st.Dead {
		st.Report.Note(fmt.Sprintf("dead master's binlog after %s saved from binlog server %s: %d transactions", from, src.Name(), res.Transactions))
	}
	st.Saved = &diffFile{kind: "master_binlog", from: src, source: res.Output, result: res}
}
