package config

import (
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/mhago/mhago/internal/redact"
)

// redacted is what every printing path shows instead of a secret; MHA logs
// passwords the same way.
const redacted = redact.Mask

// minMaskedSecret is the shortest secret masked by its text in free text.
const minMaskedSecret = redact.MinLen

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

// Secrets lists every secret the configuration holds: each server's
// password and repl_password (also of [binlogN] blocks and [server
// default]), and the Redis password, however they were given (in the file,
// a *_file or ${ENV}). Empty ones are left out.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s Secret) {
		if v := s.Reveal(); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, list := range [][]Server{{c.Default}, c.Servers, c.BinlogServers} {
		for _, s := range list {
			add(s.Password)
			add(s.ReplPassword)
		}
	}
	add(c.Redis.Password)
	add(c.Redis.SentinelPassword)
	return out
}

// Scrubber masks every secret of the configuration (see Secrets): the one
// scrubber that every output of a command uses.
func (c *Config) Scrubber() *redact.Scrubber { return redact.New(c.Secrets()...) }
