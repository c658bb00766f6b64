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

// progressPrinter shows long catch-ups to the operator: a bar redrawn in
// place when stdout is a terminal; otherwise a line on stderr every
// progressLineEvery per host; with --json, one JSON event per update on
// stderr (stdout keeps the one report document).
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
