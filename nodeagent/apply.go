package nodeagent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mhago/mhago/binlog"
	"github.com/mhago/mhago/nodeagent/proto"
)

// apply joins the diff files into one binlog stream and replays it through
// the host's binlog decoder and client in a single session. Both processes'
// exit statuses are checked: MHA checked only the client's and silently lost
// transactions when mysqlbinlog stopped early on MariaDB.
func apply(ctx context.Context, req proto.ApplyRequest) (proto.Response, error) {
	merged := filepath.Join(req.Workdir, fmt.Sprintf("apply-%d.binlog", os.Getpid()))
	defer os.Remove(merged)
	st, err := mergeFiles(merged, req.Files)
	if err != nil {
		return proto.Response{}, err
	}
	res := &proto.ApplyResult{Bytes: st.Bytes, Events: st.Events, Transactions: st.Transactions,
		FirstGTID: st.FirstGTID, LastGTID: st.LastGTID, Trimmed: st.Trimmed}
	if st.Truncated != nil {
		res.Truncated = st.Truncated.String()
	}
	if st.Events == 0 {
		res.Decoder = "none (nothing to apply)"
		return proto.Response{Apply: res}, nil
	}
	decoder, err := replay(ctx, req, merged)
	res.Decoder = decoder
	return proto.Response{Apply: res}, err
}

// mergeFiles writes the files as one stream that starts and ends at
// transaction boundaries: a transaction cut at the end of one file continues
// in the next; one that never ends (the master died) is trimmed.
func mergeFiles(out string, files []string) (binlog.ExtractStats, error) {
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
	st, err := binlog.Extract(w, segs)
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

// replay runs `decoder FILE | client` and checks both.
func replay(ctx context.Context, req proto.ApplyRequest, file string) (string, error) {
	decoderPath, decoderArgs, err := decoderCommand(req)
	if err != nil {
		return "", err
	}
	clientPath, err := lookTool(req.ClientBindir, "mariadb", "mysql")
	if err != nil {
		return "", err
	}
	extra, err := writeClientDefaults(req)
	if err != nil {
		return "", err
	}
	defer os.Remove(extra)
	dec := exec.CommandContext(ctx, decoderPath, append(decoderArgs, file)...)
	cli := exec.CommandContext(ctx, clientPath, "--defaults-extra-file="+extra, "--binary-mode", "--batch",
		"--host="+req.Host, "--port="+strconv.Itoa(req.Port))
	var decErr, cliErr, cliOut bytes.Buffer
	dec.Stderr, cli.Stderr, cli.Stdout = &decErr, &cliErr, &cliOut
	pipe, err := dec.StdoutPipe()
	if err != nil {
		return "", err
	}
	cli.Stdin = pipe
	name := filepath.Base(decoderPath) + " | " + filepath.Base(clientPath)
	if err := cli.Start(); err != nil {
		return name, fmt.Errorf("start %s: %w", clientPath, err)
	}
	if err := dec.Run(); err != nil {
		cli.Process.Kill()
		cli.Wait()
		return name, &applyError{fmt.Errorf("%s exited with %w: %s", decoderPath, err, tailText(decErr.String()))}
	}
	if err := cli.Wait(); err != nil {
		return name, &applyError{fmt.Errorf("%s exited with %w: %s", clientPath, err, tailText(cliErr.String()))}
	}
	if strings.Contains(decErr.String(), "ERROR") {
		return name, &applyError{fmt.Errorf("%s reported: %s", decoderPath, tailText(decErr.String()))}
	}
	return name, nil
}

// decoderCommand picks mariadb-binlog or mysqlbinlog. On MariaDB the GTID
// strict mode check is switched off: our joined stream has one header, but a
// stream that begins after a Gtid_list would otherwise be refused.
func decoderCommand(req proto.ApplyRequest) (string, []string, error) {
	path, err := lookTool(req.ClientBindir, "mariadb-binlog", "mysqlbinlog")
	if err != nil {
		return "", nil, err
	}
	var args []string
	help, _ := exec.Command(path, "--help").CombinedOutput()
	if bytes.Contains(help, []byte("gtid-strict-mode")) {
		args = append(args, "--skip-gtid-strict-mode")
	}
	if req.DisableLogBin {
		args = append(args, "--disable-log-bin")
	}
	return path, args, nil
}

func lookTool(bindir string, names ...string) (string, error) {
	for _, n := range names {
		if bindir != "" {
			p := filepath.Join(bindir, n)
			if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
				return p, nil
			}
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	where := "PATH"
	if bindir != "" {
		where = bindir
	}
	return "", fmt.Errorf("none of %s found in %s (set client_bindir)", strings.Join(names, ", "), where)
}

// writeClientDefaults puts the credentials in a 0600 option file, so the
// password never appears in the client's argv.
func writeClientDefaults(req proto.ApplyRequest) (string, error) {
	f, err := os.CreateTemp(req.Workdir, ".client-*.cnf")
	if err != nil {
		return "", fmt.Errorf("create client option file in %s: %w", req.Workdir, err)
	}
	defer f.Close()
	quote := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	_, err = io.WriteString(f, "[client]\nuser="+quote(req.User)+"\npassword="+quote(req.Password)+"\n")
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func tailText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}
