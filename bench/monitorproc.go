package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mhago/mhago/testenv/cluster"
)

// MonitorTool is a long-running monitor as the bench drives it.
type MonitorTool struct {
	Name string
	// Start starts the monitor on c with settings.
	Start func(ctx context.Context, c *cluster.Cluster, settings MonitorSettings) (*MonitorProc, error)
	// Ready matches the line that says it is monitoring the master; Done
	// the one that says a failover ended.
	Ready, Done *regexp.Regexp
	// ExitsAfterFailover: the monitor exits once it failed over (MHA), so
	// Done may take as long as the failover does.
	ExitsAfterFailover bool
	// Spans cuts what m printed since the fault into phases; end is the
	// wall time from the fault.
	Spans func(m *MonitorProc, fault time.Time, end time.Duration) []Span
}

// MonitorProc is a running monitor: its own process group, its output
// lines (stdout and stderr) timestamped as they arrive.
type MonitorProc struct {
	cmd    *exec.Cmd
	t0     time.Time
	exited chan struct{}

	mu     sync.Mutex
	lines  []Line
	stdout []string // stdout's lines alone (mhago's reports)
}

// StartMonitorProc starts cmd in its own process group and reads its
// stdout and stderr line by line.
func StartMonitorProc(cmd *exec.Cmd) (*MonitorProc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	m := &MonitorProc{cmd: cmd, exited: make(chan struct{})}
	m.t0 = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	var read sync.WaitGroup
	read.Add(2)
	go m.read(outR, true, &read)
	go m.read(errR, false, &read)
	go func() {
		_ = cmd.Wait()
		outW.Close()
		errW.Close()
		read.Wait()
		close(m.exited)
	}()
	return m, nil
}

func (m *MonitorProc) read(r io.Reader, stdout bool, wg *sync.WaitGroup) {
	defer wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		m.mu.Lock()
		m.lines = append(m.lines, Line{At: time.Since(m.t0), Text: sc.Text()})
		if stdout {
			m.stdout = append(m.stdout, sc.Text())
		}
		m.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// Stdout is what the monitor printed on its stdout so far.
func (m *MonitorProc) Stdout() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.stdout, "\n")
}

// WaitLine polls every 10 ms for a line matching re, for at most d; it
// fails early if the monitor exits without one.
func (m *MonitorProc) WaitLine(re *regexp.Regexp, d time.Duration) (Line, error) {
	deadline := time.Now().Add(d)
	for seen := 0; ; {
		m.mu.Lock()
		lines := m.lines[seen:]
		seen = len(m.lines)
		m.mu.Unlock()
		for _, l := range lines {
			if re.MatchString(l.Text) {
				return l, nil
			}
		}
		select {
		case <-m.exited:
			m.mu.Lock()
			more := len(m.lines) > seen
			m.mu.Unlock()
			if !more {
				return Line{}, fmt.Errorf("exited (%s) before a line matching %q", m.cmd.ProcessState, re)
			}
			continue
		default:
		}
		if time.Now().After(deadline) {
			return Line{}, fmt.Errorf("no line matching %q within %s", re, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Since are the lines from t on, timed from t.
func (m *MonitorProc) Since(t time.Time) []Line {
	off := t.Sub(m.t0)
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Line
	for _, l := range m.lines {
		if l.At >= off {
			out = append(out, Line{At: l.At - off, Text: l.Text})
		}
	}
	return out
}

// Text is the whole output, each line with its time from the start.
func (m *MonitorProc) Text() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, l := range m.lines {
		fmt.Fprintf(&b, "%8.3f %s\n", l.At.Seconds(), l.Text)
	}
	return b.String()
}

// Stop ends the monitor's process group: SIGTERM, then SIGKILL after
// grace. It is a no-op once the monitor exited.
func (m *MonitorProc) Stop(grace time.Duration) {
	select {
	case <-m.exited:
		return
	default:
	}
	pgid := m.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-m.exited:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-m.exited
}

// MHA's manager prints these (MHA::HealthCheck, MHA::MasterFailover).
var (
	mhaReady = regexp.MustCompile(`Ping\(SELECT\) succeeded, waiting until MySQL doesn't respond`)
	mhaDone  = regexp.MustCompile(`Master failover to .* completed successfully\.`)
)

// MHAManager is MHA 0.58's masterha_manager as a MonitorTool: the failover
// bench's app.cnf with ping_interval set, and its shim.
func MHAManager(shimDir string) MonitorTool {
	return MonitorTool{Name: "MHA 0.58", Ready: mhaReady, Done: mhaDone, ExitsAfterFailover: true,
		Spans: MHAMonitorSpans,
		Start: func(ctx context.Context, c *cluster.Cluster, settings MonitorSettings) (*MonitorProc, error) {
			confPath, err := writeMHAConfig(c, settings)
			if err != nil {
				return nil, err
			}
			cmd := exec.CommandContext(ctx, "masterha_manager", "--conf="+confPath, "--ignore_last_failover")
			cmd.Env = append(os.Environ(), ShimEnv(shimDir)...)
			return StartMonitorProc(cmd)
		}}
}

// writeMHAConfig writes MHA's app.cnf for c with settings.
func writeMHAConfig(c *cluster.Cluster, settings MonitorSettings) (string, error) {
	workdir := filepath.Join(c.Dir(), "mha")
	if err := os.MkdirAll(workdir, 0o700); err != nil {
		return "", err
	}
	conf, err := MHAConfig(c, workdir)
	if err != nil {
		return "", err
	}
	conf = settings.Apply(conf)
	confPath := filepath.Join(c.Dir(), "mha.cnf")
	return confPath, os.WriteFile(confPath, []byte(conf), 0o600)
}

// MonitorSettings are what a monitor case sets in both tools' app.cnf.
type MonitorSettings struct {
	PingInterval int
	// ShutdownScript fences the master ("" : none).
	ShutdownScript string
}

// Apply sets s in an app.cnf's [server default] section.
func (s MonitorSettings) Apply(conf string) string {
	conf = WithDefault(conf, "ping_interval", strconv.Itoa(s.PingInterval))
	if s.ShutdownScript != "" {
		conf = WithDefault(conf, "shutdown_script", s.ShutdownScript)
	}
	return conf
}

// WithDefault sets key in an app.cnf's [server default] section: it
// replaces the first setting of key (testenv and the bench set it only
// there), or adds it after the section header.
func WithDefault(conf, key, value string) string {
	line := key + "=" + value
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=.*$`)
	if loc := re.FindStringIndex(conf); loc != nil {
		return conf[:loc[0]] + line + conf[loc[1]:]
	}
	return strings.Replace(conf, "[server default]\n", "[server default]\n"+line+"\n", 1)
}

// MHAMonitorSpans are MHA's phases from the fault: what precedes its
// first phase banner is detection (pings failing until it gives up).
func MHAMonitorSpans(m *MonitorProc, fault time.Time, end time.Duration) []Span {
	return mhaMonitorSpans(m.Since(fault), end)
}

func mhaMonitorSpans(lines []Line, end time.Duration) []Span {
	spans := MHASpans(lines, end)
	if len(spans) > 0 && spans[0].Name == "start-up" {
		spans[0].Name = "detection"
	}
	return spans
}
