package config

import (
	"fmt"
	"io"
	"log/slog"
)

// redacted is what every printing path shows instead of a secret; MHA logs
// passwords the same way.
const redacted = "xxx"

// Secret is a password or similar value. Every formatting and encoding path
// (fmt verbs, JSON, text encoders, slog) prints "xxx"; only Reveal returns
// the real value, so a secret reaches a log only by an explicit call.
type Secret string

// Reveal returns the actual secret for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (used by %#v).
func (s Secret) GoString() string { return `"` + redacted + `"` }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format implements fmt.Formatter so that every verb, including %x and %d,
// prints the redacted form rather than the bytes of the secret.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	if verb == 'q' {
		_, _ = io.WriteString(f, `"`+redacted+`"`)
		return
	}
	_, _ = io.WriteString(f, redacted)
}
