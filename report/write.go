package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/mhago/mhago/internal/atomicfile"
)

// Write writes the report as <dir>/<app>.failover.<YYYYmmdd-HHMMSS>.<runid>.json
// and .txt, then refreshes the <app>.failover.last.json/.txt copies. Every
// file is replaced atomically (temp file, fsync, rename) with mode 0600,
// since reports name hosts, users and positions. The timestamp is Started
// in its own location. Secrets are removed before anything is encoded. A
// report that was never finished is written as interrupted; r itself is
// not modified.
func Write(dir string, r *Report) (jsonPath, textPath string, err error) {
	c, err := r.Sanitized()
	if err != nil {
		return "", "", err
	}
	if c.Outcome == "" {
		// The run never reached Finish (panic, early return): say so
		// rather than write a report without an outcome.
		c.Finish(now(), OutcomeInterrupted, nil)
	}
	base := filepath.Join(dir, fileBase(c))
	last := filepath.Join(dir, safeName(c.App)+".failover.last")
	// The report names its own files, and so does what is printed of it.
	files := Files{JSON: base + ".json", Text: base + ".txt", LastJSON: last + ".json", LastText: last + ".txt"}
	c.Files = &files
	r.mu.Lock()
	r.Files = &files
	r.mu.Unlock()
	js, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("encode failover report %s: %w", c.RunID, err)
	}
	js = append(js, '\n')
	txt := []byte(Text(c))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("create report directory %s: %w", dir, err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{base + ".json", js}, {base + ".txt", txt}, {last + ".json", js}, {last + ".txt", txt}} {
		if err := writeAtomic(f.path, f.data); err != nil {
			return "", "", err
		}
	}
	return base + ".json", base + ".txt", nil
}

func fileBase(r *Report) string {
	t := r.Started
	if t.IsZero() {
		t = now()
	}
	return fmt.Sprintf("%s.failover.%s.%s", safeName(r.App), t.Format("20060102-150405"), safeName(orText(r.RunID, "norunid")))
}

// safeName keeps a name usable as one path element.
func safeName(s string) string {
	s = strings.Map(func(c rune) rune {
		if c == '/' || c == '\\' || c == 0 || c < ' ' {
			return '_'
		}
		return c
	}, s)
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}

// writeAtomic replaces path with data, readable by its owner only.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// scrub removes secrets from one string: every registered secret and
// password= values.
func (r *Report) scrub(s string) string { return r.scrubber.String(s) }

// Sanitized returns a deep copy of r in which every string has been
// scrubbed and hook arguments redacted, so that no encoder can see a secret
// even if a caller put one in a note or an error text. Print and encode
// this copy, never r itself.
func (r *Report) Sanitized() (*Report, error) {
	r.mu.Lock()
	js, err := json.Marshal(r)
	r.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("copy failover report %s: %w", r.RunID, err)
	}
	c := &Report{scrubber: r.scrubber}
	if err := json.Unmarshal(js, c); err != nil {
		return nil, fmt.Errorf("copy failover report %s: %w", r.RunID, err)
	}
	for i := range c.Hooks {
		c.Hooks[i].Args = c.scrubber.Args(c.Hooks[i].Args)
	}
	scrubValue(reflect.ValueOf(c).Elem(), c.scrub)
	return c, nil
}

// scrubValue applies f to every settable string reachable from v.
func scrubValue(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scrubValue(v.Elem(), f)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scrubValue(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			scrubValue(v.Index(i), f)
		}
	case reflect.Map:
		scrubMap(v, f)
	}
}

// scrubMap rewrites string-valued maps (keys are host names, left alone).
func scrubMap(v reflect.Value, f func(string) string) {
	if v.Type().Elem().Kind() != reflect.String {
		return
	}
	for _, k := range v.MapKeys() {
		v.SetMapIndex(k, reflect.ValueOf(f(v.MapIndex(k).String())).Convert(v.Type().Elem()))
	}
}
