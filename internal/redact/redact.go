// Package redact removes secrets (passwords) from text before it leaves
// mhago: the text and JSON reports, --json documents, log lines, messages
// on stderr and hook output. One Scrubber is built from the config's
// secrets and every output path uses it, so a secret is masked the same
// way wherever it shows up.
//
// Two rules apply, in this order:
//   - every registered secret of at least MinLen bytes is replaced by Mask
//     wherever it occurs, also in the escaped forms JSON and Go quoting
//     give it (a log line or a --json document escapes quotes and
//     backslashes, so the raw bytes would not match there);
//   - the value of any "password=VALUE" word (--new_master_password=...,
//     MASTER_PASSWORD='...') is replaced by Mask, whatever its length.
//
// String applies both, to values before they are encoded; Secrets and
// Writer apply the first only, to text already encoded (see Secrets).
//
// Secrets shorter than MinLen are not replaced in free text: masking every
// "abc" would garble host names and SQL, and a one-letter password would
// turn the whole text into masks. They are still masked as password=
// values and as hook arguments; config.Load warns about them.
package redact

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Mask is what a secret is replaced with, as in MHA's own logs.
const Mask = "xxx"

// MinLen is the shortest secret replaced in free text.
const MinLen = 4

// Scrubber masks registered secrets. The zero value and a nil *Scrubber
// mask only password= values. It is safe for concurrent use.
type Scrubber struct {
	mu    sync.RWMutex
	forms []string // every secret in every escaping, longest first
}

// New returns a Scrubber for the given secrets.
func New(secrets ...string) *Scrubber {
	s := &Scrubber{}
	s.Add(secrets...)
	return s
}

// Add registers more secrets; empty and short ones are ignored (see MinLen).
func (s *Scrubber) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range secrets {
		if len(v) < MinLen {
			continue
		}
		for _, f := range forms(v) {
			if !slices.Contains(s.forms, f) {
				s.forms = append(s.forms, f)
			}
		}
	}
	// Longest first: a secret that contains another is masked whole.
	slices.SortStableFunc(s.forms, func(a, b string) int { return len(b) - len(a) })
}

// forms is v as it appears raw, inside a JSON string (with and without
// HTML escaping) and inside a Go-quoted string (slog's text handler, %q),
// and escaped twice (a %q-quoted secret in an error that a log line or a
// JSON document quotes again). For most passwords these are all one form.
func forms(v string) []string {
	out := []string{v}
	add := func(f string) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, e1 := range escapers {
		once := e1(v)
		add(once)
		for _, e2 := range escapers {
			add(e2(once))
		}
	}
	return out
}

// escapers return s as it appears between the quotes of an encoded string.
var escapers = []func(string) string{
	func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) },
	func(s string) string {
		var sb strings.Builder
		enc := json.NewEncoder(&sb)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		j := strings.TrimSuffix(sb.String(), "\n")
		return j[1 : len(j)-1]
	},
	func(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] },
}

// Empty tells whether no secret is registered (password= values are still
// masked).
func (s *Scrubber) Empty() bool {
	if s == nil {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.forms) == 0
}

// String returns text with every secret masked by both rules. Use it on
// values before they are encoded (a report's strings, a hook's output).
func (s *Scrubber) String(text string) string {
	return PasswordValues(s.Secrets(text))
}

// Secrets masks the registered secrets only. Use it on text already
// encoded (a JSON document, a log line), where the password= rule could
// take a closing quote for part of a value and break the encoding.
func (s *Scrubber) Secrets(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Until none is left: a secret that contains the mask ("xxxa") is
	// formed again by a mask and what follows it ("xxxaa"). Every pass
	// shortens the text (a secret is longer than the mask), so it ends.
	for again := true; again; {
		again = false
		for _, f := range s.forms {
			if strings.Contains(text, f) {
				text, again = strings.ReplaceAll(text, f, Mask), true
			}
		}
	}
	return text
}

// Args returns a copy of args in which the value of every --*password=
// argument is Mask and every secret elsewhere is masked.
func (s *Scrubber) Args(args []string) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = s.String(passwordArg(a))
	}
	return out
}

func passwordArg(a string) string {
	key, _, found := strings.Cut(a, "=")
	if found && strings.HasPrefix(key, "-") && strings.Contains(strings.ToLower(key), "password") {
		return key + "=" + Mask
	}
	return a
}

// PasswordValues replaces the value of any "password=VALUE" word in free
// text (a hook's output, a logged command line) by Mask. The value ends at
// whitespace, or at the closing quote of a quoted value.
func PasswordValues(text string) string {
	lower := asciiLower(text)
	if !strings.Contains(lower, "password=") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, "password=")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		start := i + len("password=")
		end := start + valueLen(text[start:])
		b.WriteString(text[:start])
		if end > start {
			b.WriteString(Mask)
		}
		text, lower = text[end:], lower[end:]
	}
}

// valueLen is the length of the value at the start of s: a quoted string
// (quotes included, also a JSON-escaped \"...\") or a run of characters up
// to whitespace, a quote or a backslash, so that a value inside a JSON or
// Go-quoted string is masked without eating the string's closing quote.
// The mask itself is a value of its own length.
func valueLen(s string) int {
	// An already masked value ends with the mask: scrubbing twice must not
	// eat the comma after MASTER_PASSWORD='xxx' once its quotes are gone.
	if rest, ok := strings.CutPrefix(s, Mask); ok && (rest == "" || strings.ContainsRune(",;)", rune(rest[0]))) {
		return len(Mask)
	}
	if strings.HasPrefix(s, `\"`) {
		if j := strings.Index(s[2:], `\"`); j >= 0 {
			return j + 4
		}
	}
	if s != "" && (s[0] == '\'' || s[0] == '"') {
		if j := strings.IndexByte(s[1:], s[0]); j >= 0 {
			return j + 2
		}
	}
	if j := strings.IndexAny(s, " \t\r\n'\"\\"); j >= 0 {
		return j
	}
	return len(s)
}

// asciiLower lowercases A-Z only, so that an index into the result is an
// index into s: strings.ToLower turns an invalid UTF-8 byte into a
// three-byte replacement rune, and the indices would run past the text.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
