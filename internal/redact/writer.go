package redact

import (
	"bytes"
	"io"
	"sync"
)

// Writer masks secrets in everything written through it. It holds back an
// incomplete last line until its newline (or Flush) arrives, so a secret
// written in two pieces (a table cell, a formatted value) is still seen
// whole; every output of mhago is line-oriented. Safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	s   *Scrubber
	buf []byte
}

// NewWriter wraps w; s may gain secrets later (Add), which then apply to
// what is written from then on.
func NewWriter(w io.Writer, s *Scrubber) *Writer { return &Writer{w: w, s: s} }

// Write masks and passes on every complete line in p and keeps the rest.
// It reports len(p) written unless the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	i := bytes.LastIndexByte(w.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	if err := w.emit(w.buf[:i+1]); err != nil {
		return 0, err
	}
	w.buf = append(w.buf[:0], w.buf[i+1:]...)
	return len(p), nil
}

// Flush passes on what is held back, masked.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	err := w.emit(w.buf)
	w.buf = w.buf[:0]
	return err
}

func (w *Writer) emit(p []byte) error {
	_, err := io.WriteString(w.w, w.s.Secrets(string(p)))
	return err
}
