package nodeagent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhago/mhago/binlog"
	"github.com/mhago/mhago/nodeagent/proto"
)

const testVersion = "test-1"

var fixtures = filepath.Join("..", "binlog", "testdata", "mariadb")

func call(t *testing.T, cmd string, req proto.Request) (int, proto.Response) {
	t.Helper()
	if req.Protocol == 0 {
		req.Protocol, req.Manager = proto.Version, testVersion
	}
	body, _ := json.Marshal(req)
	var out bytes.Buffer
	code := Serve(context.Background(), cmd, bytes.NewReader(body), &out, testVersion)
	var resp proto.Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, out.String())
	}
	if resp.Agent != testVersion || resp.Protocol != proto.Version {
		t.Fatalf("response does not identify the agent: %+v", resp)
	}
	return code, resp
}

func TestVersionAndMismatch(t *testing.T) {
	code, resp := call(t, proto.CmdVersion, proto.Request{})
	if code != 0 || !resp.OK || resp.Version == nil || resp.Version.OS == "" {
		t.Fatalf("version: code %d %+v", code, resp)
	}
	code, resp = call(t, proto.CmdVersion, proto.Request{Protocol: proto.Version, Manager: "other"})
	if code != 1 || resp.OK || resp.Error.Code != proto.CodeVersionMismatch {
		t.Fatalf("mismatch accepted: code %d %+v", code, resp)
	}
	code, resp = call(t, "bogus", proto.Request{})
	if code != 1 || resp.Error.Code != proto.CodeBadRequest {
		t.Fatalf("bogus command: code %d %+v", code, resp)
	}
}

func TestStatus(t *testing.T) {
	work := t.TempDir()
	_, resp := call(t, proto.CmdStatus, proto.Request{Status: &proto.StatusRequest{
		BinlogDirs: []string{fixtures, "/nonexistent"}, Prefix: "master-bin", Workdir: work}})
	st := resp.Status
	if !resp.OK || len(st.Dirs) != 2 || len(st.Dirs[0].Files) < 2 || st.Dirs[1].Error == "" || !st.WorkdirExists || st.WorkdirFree == 0 {
		t.Fatalf("status %+v", st)
	}
	if st.Dirs[0].Files[0].Name != "master-bin.000001" || st.Dirs[0].Files[0].Size == 0 {
		t.Fatalf("first file %+v", st.Dirs[0].Files[0])
	}
}

// firstGTIDOffset returns the offset of the first GTID event in file.
func firstGTIDOffset(t *testing.T, file string) int64 {
	t.Helper()
	off := int64(-1)
	_, err := binlog.ScanFile(file, func(e binlog.Event) error {
		if off < 0 && e.GTID != "" {
			off = e.Offset
		}
		return nil
	})
	if err != nil || off < 0 {
		t.Fatalf("no GTID event in %s: %v", file, err)
	}
	return off
}

func TestSaveAcrossRotation(t *testing.T) {
	start := firstGTIDOffset(t, filepath.Join(fixtures, "master-bin.000002"))
	out := filepath.Join(t.TempDir(), "saved.binlog")
	code, resp := call(t, proto.CmdSave, proto.Request{Save: &proto.SaveRequest{
		BinlogDirs: []string{"/nonexistent", fixtures}, StartFile: "master-bin.000002", StartPos: start, Output: out}})
	if code != 0 || !resp.OK {
		t.Fatalf("save: code %d %+v", code, resp.Error)
	}
	x := resp.Extract
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if x.SHA256 != hex.EncodeToString(sum[:]) || x.Bytes != int64(len(data)) {
		t.Fatalf("sha/bytes of result %+v do not match the file (%d bytes)", x, len(data))
	}
	if x.Events == 0 || x.Transactions == 0 || x.StopFile != "master-bin.000006" {
		t.Fatalf("save did not reach the newest binlog: %+v", x)
	}
	if _, err := os.Stat(out + ".partial"); !os.IsNotExist(err) {
		t.Fatalf("partial file left behind: %v", err)
	}
}

func TestSaveErrorsNameTheCause(t *testing.T) {
	out := filepath.Join(t.TempDir(), "saved.binlog")
	_, resp := call(t, proto.CmdSave, proto.Request{Save: &proto.SaveRequest{
		BinlogDirs: []string{fixtures}, StartFile: "master-bin.000099", StartPos: 4, Output: out}})
	if resp.OK || resp.Error.Code != proto.CodeIO {
		t.Fatalf("missing start file: %+v", resp)
	}
	_, resp = call(t, proto.CmdSave, proto.Request{Save: &proto.SaveRequest{
		BinlogDirs: []string{fixtures}, StartFile: "master-bin.000002", StartPos: 5, Output: out}})
	if resp.OK || resp.Error.Code != proto.CodeNotFound {
		t.Fatalf("mid-event start: %+v", resp)
	}
}

// A master killed while rotating announced master-bin.000007 (the fixtures
// end at 000006) and never created it: the save is empty, and says why.
func TestSaveFromABinlogNeverCreated(t *testing.T) {
	out := filepath.Join(t.TempDir(), "saved.binlog")
	code, resp := call(t, proto.CmdSave, proto.Request{Save: &proto.SaveRequest{
		BinlogDirs: []string{fixtures}, StartFile: "master-bin.000007", StartPos: 4, Output: out}})
	if code != 0 || !resp.OK {
		t.Fatalf("save: code %d %+v", code, resp.Error)
	}
	x := resp.Extract
	if x.Events != 0 || x.Bytes != 0 || !strings.Contains(x.Note, "master-bin.000007 was never created") {
		t.Fatalf("result %+v", x)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() != 0 {
		t.Fatalf("empty piece not written: %v", err)
	}
	_, resp = call(t, proto.CmdSave, proto.Request{Save: &proto.SaveRequest{
		BinlogDirs: []string{fixtures}, StartFile: "master-bin.000007", StartPos: 300, Output: out}})
	if resp.OK || resp.Error.Code != proto.CodeIO {
		t.Fatalf("a position inside a missing file must stay an error: %+v", resp)
	}
}

// A master killed right after it created its next binlog, before the
// header was written: the replicas read up to that file's start.
func TestSaveFromABinlogWithoutHeader(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile(filepath.Join(fixtures, "master-bin.000006"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "master-bin.000006"), full, 0o600)
	os.WriteFile(filepath.Join(dir, "master-bin.000007"), full[:30], 0o600)
	out := filepath.Join(t.TempDir(), "saved.binlog")
	code, resp := call(t, proto.CmdSave, proto.Request{Save: &proto.SaveRequest{
		BinlogDirs: []string{dir}, StartFile: "master-bin.000007", StartPos: 4, Output: out}})
	if code != 0 || !resp.OK || resp.Extract.Events != 0 || !strings.Contains(resp.Extract.Note, "holds no complete header") {
		t.Fatalf("save: code %d %+v %+v", code, resp.Error, resp.Extract)
	}
}

func TestFindPurgedRelayLogs(t *testing.T) {
	_, resp := call(t, proto.CmdFind, proto.Request{Find: &proto.FindRequest{
		RelayDir: fixtures, RelayPrefix: "relay-bin", MasterFile: "master-bin.000000", MasterPos: 4, ServerID: 2}})
	if resp.OK || resp.Error.Code != proto.CodeNotFound {
		t.Fatalf("purged position: %+v", resp)
	}
}

func TestMergeRefusesMidTransactionStart(t *testing.T) {
	// A saved piece that starts inside a transaction cannot be applied on
	// its own: the first file must start at a transaction boundary.
	dir := t.TempDir()
	piece := filepath.Join(dir, "piece.binlog")
	start := firstGTIDOffset(t, filepath.Join(fixtures, "master-bin.000002"))
	var next int64 = -1
	binlog.ScanFile(filepath.Join(fixtures, "master-bin.000002"), func(e binlog.Event) error {
		if next < 0 && e.Offset > start && !e.TxStart {
			next = e.Offset
		}
		return nil
	})
	_, resp := call(t, proto.CmdSave, proto.Request{Save: &proto.SaveRequest{
		BinlogDirs: []string{fixtures}, StartFile: "master-bin.000002", StartPos: next, Output: piece}})
	if !resp.OK {
		t.Fatalf("save mid-transaction piece: %+v", resp.Error)
	}
	if _, err := mergeFiles(filepath.Join(dir, "merged"), []string{piece}); err == nil {
		t.Fatalf("merge accepted a stream starting inside a transaction")
	}
}

func TestFindReportsRemainingRelayBytes(t *testing.T) {
	relays, err := binlog.ListBinlogs(fixtures, "relay-bin")
	if err != nil {
		t.Fatal(err)
	}
	start := firstGTIDOffset(t, filepath.Join(fixtures, "master-bin.000004"))
	_, resp := call(t, proto.CmdFind, proto.Request{Find: &proto.FindRequest{
		RelayDir: fixtures, RelayPrefix: "relay-bin", MasterFile: "master-bin.000004", MasterPos: uint32(start), ServerID: 2}})
	if !resp.OK || resp.Find.AllApplied {
		t.Fatalf("find: %+v %+v", resp.Error, resp.Find)
	}
	var want int64
	found := false
	for _, f := range relays {
		found = found || filepath.Base(f) == resp.Find.RelayFile
		if fi, err := os.Stat(f); found && err == nil {
			want += fi.Size()
		}
	}
	want -= resp.Find.RelayOffset
	if !found || resp.Find.RemainingBytes != want || want <= 0 {
		t.Fatalf("remaining %d bytes after %s:%d, want %d", resp.Find.RemainingBytes, resp.Find.RelayFile, resp.Find.RelayOffset, want)
	}

	last := relays[len(relays)-1]
	end, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	_, resp = call(t, proto.CmdFind, proto.Request{Find: &proto.FindRequest{
		RelayDir: fixtures, RelayPrefix: "relay-bin", FromFile: filepath.Base(last), FromPos: end.Size(), ServerID: 2}})
	if !resp.OK || resp.Find.RemainingBytes != 0 {
		t.Fatalf("find at the end of the relay logs: %+v %+v", resp.Error, resp.Find)
	}
}

func TestHash(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("diff bytes"), 0o600)
	sum := sha256.Sum256([]byte("diff bytes"))
	_, resp := call(t, proto.CmdHash, proto.Request{Hash: &proto.HashRequest{Path: p}})
	if !resp.OK || resp.Hash.SHA256 != hex.EncodeToString(sum[:]) || resp.Hash.Bytes != 10 {
		t.Fatalf("hash: %+v %+v", resp, resp.Hash)
	}
	if _, resp := call(t, proto.CmdHash, proto.Request{Hash: &proto.HashRequest{Path: p + ".missing"}}); resp.OK || resp.Error.Code != proto.CodeIO {
		t.Fatalf("hash of a missing file: %+v", resp)
	}
}
