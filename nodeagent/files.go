package nodeagent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mhago/mhago/binlog"
	"github.com/mhago/mhago/nodeagent/proto"
)

func status(ctx context.Context, req proto.StatusRequest) (proto.Response, error) {
	res := &proto.StatusResult{}
	for _, dir := range req.BinlogDirs {
		res.Dirs = append(res.Dirs, dirStatus(dir, req.Prefix))
	}
	var st syscall.Statfs_t
	if req.Workdir != "" && syscall.Statfs(req.Workdir, &st) == nil {
		res.WorkdirExists = true
		res.WorkdirFree = st.Bavail * uint64(st.Bsize)
	}
	if req.Tools {
		toolsStatus(req.ClientBindir, res)
	}
	if req.LockDir == "" || req.Port <= 0 {
		return proto.Response{Status: res}, nil
	}
	var err error
	if res.Running, err = runningApply(req.LockDir, req.Port); err != nil {
		return proto.Response{}, err
	}
	if res.Running == nil {
		res.SettingsLeft, err = settingsLeft(ctx, req)
	}
	return proto.Response{Status: res}, err
}

// toolsStatus reports the apply tools found, looked up as apply does.
func toolsStatus(bindir string, res *proto.StatusResult) {
	var missing []string
	if dec, err := lookTool(bindir, "mariadb-binlog", "mysqlbinlog"); err == nil {
		res.Decoder = dec
	} else {
		missing = append(missing, err.Error())
	}
	if client, err := lookTool(bindir, "mariadb", "mysql"); err == nil {
		res.Client = client
	} else {
		missing = append(missing, err.Error())
	}
	res.ToolsError = strings.Join(missing, "; ")
}

func dirStatus(dir, prefix string) proto.DirStatus {
	ds := proto.DirStatus{Path: dir}
	names, err := binlog.ListBinlogs(dir, prefix)
	if err != nil {
		ds.Error = err.Error()
		return ds
	}
	for _, n := range names {
		fi, err := os.Stat(n)
		if err == nil {
			ds.Files = append(ds.Files, proto.FileInfo{Name: filepath.Base(n), Size: fi.Size()})
		}
	}
	return ds
}

// findBinlogDir returns the directory among dirs that holds file.
func findBinlogDir(dirs []string, file string) (string, error) {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, file)); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("binlog %s not found in %s", file, strings.Join(dirs, ", "))
}

// save writes the master's binlogs from StartFile:StartPos onward. The piece
// may start inside a transaction (the replica read half of it) and end inside
// one (the master died mid-write): apply joins the pieces and trims.
func save(req proto.SaveRequest) (proto.Response, error) {
	dir, err := findBinlogDir(req.BinlogDirs, req.StartFile)
	if err != nil {
		return saveNeverCreated(req, err)
	}
	if unwritten, err := binlog.HeaderUnwritten(dir, req.StartFile); err == nil && unwritten && req.StartPos <= 4 {
		return saveNothing(req, fmt.Sprintf("%s in %s holds no complete header: the master died right after creating it, so nothing follows %s:%d", req.StartFile, dir, req.StartFile, req.StartPos))
	}
	res, err := writeOutput(req.Output, func(w io.Writer) (binlog.ExtractStats, error) {
		return binlog.SaveFrom(w, dir, req.StartFile, req.StartPos, binlog.AllowMidTransaction(), binlog.KeepIncompleteTail())
	})
	return proto.Response{Extract: res}, err
}

// saveNeverCreated answers a save from a binlog that is missing because
// the master died while rotating into it: an empty piece, and a note. Any
// other missing file is the error notFound.
func saveNeverCreated(req proto.SaveRequest, notFound error) (proto.Response, error) {
	for _, dir := range req.BinlogDirs {
		unborn, err := binlog.NeverCreated(dir, req.StartFile, req.StartPos)
		if err != nil || !unborn {
			continue
		}
		return saveNothing(req, fmt.Sprintf("%s was never created in %s: the master died while rotating into it, so nothing follows %s:%d", req.StartFile, dir, req.StartFile, req.StartPos))
	}
	return proto.Response{}, notFound
}

// saveNothing writes an empty piece and says why.
func saveNothing(req proto.SaveRequest, why string) (proto.Response, error) {
	res, err := writeOutput(req.Output, func(io.Writer) (binlog.ExtractStats, error) { return binlog.ExtractStats{}, nil })
	if res != nil {
		res.Note = why
	}
	return proto.Response{Extract: res}, err
}

// find locates a master position in relay logs and, for diff, extracts
// what follows it.
func find(req proto.FindRequest, extract bool) (proto.Response, error) {
	files, err := binlog.ListBinlogs(req.RelayDir, req.RelayPrefix)
	if err != nil {
		return proto.Response{}, err
	}
	pos, err := startPosition(req, files)
	fr := &proto.FindResult{RelayFile: filepath.Base(pos.File), RelayOffset: pos.Offset}
	switch {
	case err == nil:
	case errors.Is(err, binlog.ErrAllApplied):
		fr.AllApplied = true
	default:
		return proto.Response{}, err
	}
	if fr.RemainingBytes, err = bytesFrom(files, pos); err != nil {
		return proto.Response{}, err
	}
	if extract && req.Output != "" {
		fr.Extract, err = extractRelay(req, files, pos)
	}
	return proto.Response{Find: fr}, err
}

// bytesFrom sums the relay-log bytes from pos to the end of the newest file.
func bytesFrom(files []string, pos binlog.RelayPos) (int64, error) {
	var total int64
	started := false
	for _, f := range files {
		started = started || f == pos.File
		if !started {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return 0, fmt.Errorf("size of relay log: %w", err)
		}
		total += fi.Size()
		if f == pos.File {
			total -= min(pos.Offset, fi.Size())
		}
	}
	return total, nil
}

func startPosition(req proto.FindRequest, files []string) (binlog.RelayPos, error) {
	if req.FromFile != "" {
		return binlog.RelayPos{File: filepath.Join(req.RelayDir, req.FromFile), Offset: req.FromPos}, nil
	}
	return binlog.FindRelayPosition(files, req.MasterFile, req.MasterPos, req.ServerID)
}

// extractRelay writes the relay-log events from pos to the end of the newest
// relay log. An empty diff is still a valid (header-only) file.
func extractRelay(req proto.FindRequest, files []string, pos binlog.RelayPos) (*proto.ExtractResult, error) {
	var segs []binlog.Segment
	started := false
	for _, f := range files {
		if f == pos.File {
			started = true
			segs = append(segs, binlog.Segment{File: f, From: pos.Offset})
		} else if started {
			segs = append(segs, binlog.Segment{File: f})
		}
	}
	if !started {
		return nil, fmt.Errorf("relay log %s not among %d relay files in %s", pos.File, len(files), req.RelayDir)
	}
	return writeOutput(req.Output, func(w io.Writer) (binlog.ExtractStats, error) {
		return binlog.Extract(w, segs, binlog.SkipServerID(req.ServerID), binlog.AllowMidTransaction(), binlog.KeepIncompleteTail())
	})
}

// writeOutput creates the diff file privately, hashes it while writing and
// renames it into place only when complete.
func writeOutput(path string, fn func(io.Writer) (binlog.ExtractStats, error)) (*proto.ExtractResult, error) {
	if path == "" {
		return nil, fmt.Errorf("no output path given")
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	h := sha256.New()
	st, err := fn(io.MultiWriter(f, h))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("rename %s: %w", tmp, err)
	}
	return extractResult(path, st, h), nil
}

func extractResult(path string, st binlog.ExtractStats, h hash.Hash) *proto.ExtractResult {
	r := &proto.ExtractResult{Output: path, Bytes: st.Bytes, SHA256: hex.EncodeToString(h.Sum(nil)), Events: st.Events,
		Transactions: st.Transactions, FirstGTID: st.FirstGTID, LastGTID: st.LastGTID, StopFile: filepath.Base(st.StopFile), StopOffset: st.StopOffset,
		OpenTail: st.OpenTail}
	if st.Truncated != nil {
		r.Truncated = st.Truncated.String()
	}
	return r
}

// hashFile is the SHA-256 of a file, read where it lies.
func hashFile(req proto.HashRequest) (proto.Response, error) {
	f, err := os.Open(req.Path)
	if err != nil {
		return proto.Response{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return proto.Response{}, fmt.Errorf("read %s: %w", req.Path, err)
	}
	return proto.Response{Hash: &proto.HashResult{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}}, nil
}
