package nodeagent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// connIDQuery goes into the client's input ahead of the decoder's output:
// the client's first output line is then its session id, which the pid file
// records (see proto.RunningApply.ConnectionID).
const connIDQuery = "SELECT CONNECTION_ID();\n"

// connIDWait bounds the wait for that line; a client that cannot connect
// exits sooner.
const connIDWait = 10 * time.Second

// pipeline is `decoder FILE | client`, both holding the apply lock.
type pipeline struct {
	dec, cli       *exec.Cmd
	decLog, cliLog stderrLog
	connID         chan uint64
}

// replay runs the pipeline, reports its progress, and checks both programs: MHA checked only the
// client's status and silently lost transactions when mysqlbinlog stopped
// early on MariaDB. When either fails, the other is killed at once, so a
// client that died (duplicate key, server gone) fails the call now with its
// own ERROR line, instead of the decoder blocking on a full pipe until the
// manager's timeout.
func replay(ctx context.Context, dec decoder, c *clientConn, in replayed, lk *applyLock, report progressFunc) (string, error) {
	name := filepath.Base(dec.path) + " | " + filepath.Base(c.client)
	p := &pipeline{connID: make(chan uint64, 1)}
	if err := p.start(dec, c, in.path, lk); err != nil {
		return name, err
	}
	p.recordSession(ctx, lk)
	stop := reportProgress(report, p.dec.Process.Pid, in)
	defer stop()
	return name, p.wait(ctx)
}

// start runs the decoder, records it, then the client. The agent closes its
// copies of the pipe ends, so each program sees the other's exit (EOF,
// EPIPE) instead of blocking.
func (p *pipeline) start(dec decoder, c *clientConn, file string, lk *applyLock) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create pipe: %w", err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := io.WriteString(w, connIDQuery); err != nil {
		return fmt.Errorf("write to pipe: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create pipe: %w", err)
	}
	defer outW.Close()
	p.dec = exec.Command(dec.path, append(dec.args, file)...)
	p.dec.Stdout, p.dec.Stderr, p.dec.ExtraFiles = w, &p.decLog, []*os.File{lk.f}
	p.cli = exec.Command(c.client, c.args("--binary-mode", "--batch", "--skip-column-names", "--unbuffered", clientMaxPacket)...)
	p.cli.Stdin, p.cli.Stdout, p.cli.Stderr, p.cli.ExtraFiles = r, outW, &p.cliLog, []*os.File{lk.f}
	if err := p.dec.Start(); err != nil {
		outR.Close()
		return fmt.Errorf("start %s: %w", dec.path, err)
	}
	if err := p.startClient(lk, outR); err != nil {
		p.dec.Process.Kill()
		p.dec.Wait()
		return err
	}
	return nil
}

func (p *pipeline) startClient(lk *applyLock, outR *os.File) error {
	if err := lk.addPID(p.dec.Process.Pid); err != nil {
		outR.Close()
		return err
	}
	if err := p.cli.Start(); err != nil {
		outR.Close()
		return fmt.Errorf("start %s: %w", p.cli.Path, err)
	}
	lk.info.PIDs = append(lk.info.PIDs, p.cli.Process.Pid)
	go p.readConnID(outR)
	return nil
}

// readConnID reads the client's first output line, then drains the rest.
func (p *pipeline) readConnID(out *os.File) {
	defer out.Close()
	br := bufio.NewReader(out)
	line, _ := br.ReadString('\n')
	id, _ := strconv.ParseUint(strings.TrimSpace(line), 10, 64)
	p.connID <- id
	io.Copy(io.Discard, br)
}

// recordSession writes the client's pid and session id to the pid file.
// A failure to write it is not fatal: the lock still protects the apply.
func (p *pipeline) recordSession(ctx context.Context, lk *applyLock) {
	select {
	case lk.info.ConnectionID = <-p.connID:
	case <-time.After(connIDWait):
	case <-ctx.Done():
	}
	lk.record()
}

type exit struct {
	cmd *exec.Cmd
	err error
}

// wait waits for both programs; the first failure kills the other.
func (p *pipeline) wait(ctx context.Context) error {
	done := make(chan exit, 2)
	for _, c := range []*exec.Cmd{p.dec, p.cli} {
		go func() { done <- exit{c, c.Wait()} }()
	}
	var decErr, cliErr error
	cancelled := ctx.Done()
	for n := 0; n < 2; {
		select {
		case e := <-done:
			n++
			if e.cmd == p.dec {
				decErr = e.err
			} else {
				cliErr = e.err
			}
			if e.err != nil {
				p.kill()
			}
		case <-cancelled:
			p.kill()
			cancelled = nil
		}
	}
	if ctx.Err() != nil {
		return &applyError{fmt.Errorf("apply stopped (%s and %s killed): %w", p.dec.Path, p.cli.Path, ctx.Err())}
	}
	return p.verdict(decErr, cliErr)
}

// kill ends both programs; one already gone is not an error.
func (p *pipeline) kill() {
	p.dec.Process.Kill()
	p.cli.Process.Kill()
}

// verdict names the program that failed first on its own: a program we
// killed, or a decoder that lost its reader (SIGPIPE), only followed.
func (p *pipeline) verdict(decErr, cliErr error) error {
	cliFailed := cliErr != nil && !killedBy(cliErr, syscall.SIGKILL)
	decFailed := decErr != nil && !killedBy(decErr, syscall.SIGKILL) && !(cliFailed && killedBy(decErr, syscall.SIGPIPE))
	var errs []error
	if cliFailed {
		errs = append(errs, &clientError{program: p.cli.Path, status: cliErr, line: p.cliLog.summary()})
	}
	if decFailed {
		errs = append(errs, fmt.Errorf("%s exited with %v: %s", p.dec.Path, decErr, p.decLog.summary()))
	}
	if len(errs) == 0 && (decErr != nil || cliErr != nil) {
		errs = append(errs, fmt.Errorf("%s (%v) | %s (%v) killed", p.dec.Path, decErr, p.cli.Path, cliErr))
	}
	// A decoder that cannot read an event says so and exits 0, leaving a
	// statement cut short that the client then fails on: its line is the
	// cause, and comes with the client's.
	if !decFailed && p.decLog.hasError() {
		errs = append(errs, fmt.Errorf("%s reported: %s", p.dec.Path, p.decLog.summary()))
	}
	if len(errs) == 0 {
		return nil
	}
	return &applyError{errors.Join(errs...)}
}

func killedBy(err error, sig syscall.Signal) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}
