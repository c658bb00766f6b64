package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mhago/mhago/phases"
)

// progressPrinter shows a run to the operator as it goes: each step as it
// starts and ends, and long catch-ups (bytes applied, ETA). On a terminal
// (stdout) one line is redrawn in place (a failed step's line stays);
// otherwise a line on stderr per step that ended and every
// progressLineEvery per catching-up host; with --json, one JSON event per
// update on stderr (stdout keeps the one report document).
type progressPrinter struct {
	mu       sync.Mutex
	out, err io.Writer
	tty      bool
	json     bool
	lastLine map[string]time.Time
	drawn    bool // a bar is on the screen without its newline
}

const progressLineEvery = 5 * time.Second

func newProgressPrinter(out, errw io.Writer, asJSON bool) *progressPrinter {
	return &progressPrinter{out: out, err: errw, tty: !asJSON && isTerminal(out), json: asJSON, lastLine: map[string]time.Time{}}
}

// isTerminal: w is a character device (a terminal), not a file or pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (pp *progressPrinter) show(p phases.Progress) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if p.Kind == phases.ProgressPhaseStart || p.Kind == phases.ProgressPhaseEnd {
		pp.showPhase(p)
		return
	}
	switch {
	case pp.json:
		json.NewEncoder(pp.err).Encode(progressEvent(p))
	case pp.tty:
		fmt.Fprintf(pp.out, "\r\033[K%s", progressBar(p))
		pp.drawn = !p.Done()
		if p.Done() {
			fmt.Fprintln(pp.out)
		}
	case p.Done() || time.Since(pp.lastLine[p.Host]) >= progressLineEvery:
		pp.lastLine[p.Host] = time.Now()
		fmt.Fprintf(pp.err, "mhago: %s\n", progressText(p))
	}
}

// showPhase shows a step starting or ending.
func (pp *progressPrinter) showPhase(p phases.Progress) {
	ended := p.Kind == phases.ProgressPhaseEnd
	switch {
	case pp.json:
		json.NewEncoder(pp.err).Encode(phaseEvent(p))
	case pp.tty:
		fmt.Fprintf(pp.out, "\r\033[K%s", phaseText(p))
		pp.drawn = true
		if ended && p.Err != nil {
			fmt.Fprintln(pp.out) // a failure stays on the screen
			pp.drawn = false
		}
	case ended:
		fmt.Fprintf(pp.err, "mhago: %s\n", phaseText(p))
	}
}

// phaseText is "[9/18] 3.4 diff generation (server2): ok in 310ms", or
// "... running" at the start.
func phaseText(p phases.Progress) string {
	s := fmt.Sprintf("[%d/%d] %s", p.Index, p.Total, p.Phase)
	if p.Host != "" {
		s += " (" + p.Host + ")"
	}
	switch {
	case p.Kind == phases.ProgressPhaseStart:
		return s + ": running"
	case p.Err != nil:
		return s + fmt.Sprintf(": FAILED after %s: %v", p.Elapsed.Round(time.Millisecond), p.Err)
	}
	return s + ": ok in " + p.Elapsed.Round(time.Millisecond).String()
}

type phaseJSON struct {
	Event          string  `json:"event"` // phase_start or phase_end
	Phase          string  `json:"phase"`
	Index          int     `json:"index"`
	Total          int     `json:"total"`
	Host           string  `json:"host,omitempty"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Error          string  `json:"error,omitempty"`
}

func phaseEvent(p phases.Progress) phaseJSON {
	ev := phaseJSON{Event: string(p.Kind), Phase: p.Phase, Index: p.Index, Total: p.Total, Host: p.Host, ElapsedSeconds: p.Elapsed.Seconds()}
	if p.Err != nil {
		ev.Error = p.Err.Error()
	}
	return ev
}

// end finishes a bar left on the screen, before the report is printed.
func (pp *progressPrinter) end() {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.drawn {
		fmt.Fprintln(pp.out)
		pp.drawn = false
	}
}

type progressJSON struct {
	Event             string  `json:"event"`
	Host              string  `json:"host"`
	Path              string  `json:"path"`
	Bytes             int64   `json:"bytes"`
	TotalBytes        int64   `json:"total_bytes"`
	Transactions      int     `json:"transactions"`
	TotalTransactions int     `json:"total_transactions"`
	BytesPerSecond    float64 `json:"bytes_per_second"`
	ETASeconds        float64 `json:"eta_seconds"`
	ElapsedSeconds    float64 `json:"elapsed_seconds"`
}

func progressEvent(p phases.Progress) progressJSON {
	return progressJSON{Event: "progress", Host: p.Host, Path: string(p.Path), Bytes: p.Bytes, TotalBytes: p.TotalBytes,
		Transactions: p.Transactions, TotalTransactions: p.TotalTransactions, BytesPerSecond: p.Rate(),
		ETASeconds: p.ETA().Seconds(), ElapsedSeconds: p.Elapsed.Seconds()}
}

// progressText is "server2 diff_replay: 12.3 of 27.0 MB, 5123 of 12000
// transactions, 3.1 MB/s, ETA 5s".
func progressText(p phases.Progress) string {
	s := fmt.Sprintf("%s %s: %.1f of %.1f MB", p.Host, p.Path, mb(p.Bytes), mb(p.TotalBytes))
	if p.TotalTransactions >= 0 {
		s += fmt.Sprintf(", %d of %d transactions", p.Transactions, p.TotalTransactions)
	}
	s += fmt.Sprintf(", %.1f MB/s", p.Rate()/1e6)
	if eta := p.ETA(); eta > 0 {
		s += ", ETA " + eta.String()
	}
	return s
}

const barWidth = 30

func progressBar(p phases.Progress) string {
	frac := 1.0
	if p.TotalBytes > 0 {
		frac = min(float64(p.Bytes)/float64(p.TotalBytes), 1)
	}
	n := int(frac * barWidth)
	return fmt.Sprintf("[%s%s] %3.0f%% %s", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), frac*100, progressText(p))
}

func mb(b int64) float64 { return float64(b) / 1e6 }
