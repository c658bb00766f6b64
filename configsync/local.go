package configsync

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// readVersion returns the config_version a file records in [server
// default]; 0 when it records none.
func readVersion(text string) (int64, error) {
	for _, c := range split(text).chunks {
		if c.name != defaultSection || c.header == "" {
			continue
		}
		for _, raw := range c.body {
			if k, ok := keyOf(raw); ok && k == versionKey {
				_, v, _ := strings.Cut(raw, "=")
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(v), `"'`), 10, 64)
				if err != nil || n < 0 {
					return 0, fmt.Errorf("%s %q is not a version number (fix: set it to the version the file holds, or remove the line and pull)",
						versionKey, strings.TrimSpace(v))
				}
				return n, nil
			}
		}
	}
	return 0, nil
}

// setDefaultKey sets key=value in [server default]: the first line setting
// it is rewritten in place (later ones removed), or a line is added right
// after the header; a missing section is created before the first one.
// Every other byte is kept.
func setDefaultKey(text, key, value string) string {
	f := split(text)
	line := key + "=" + value
	for i, c := range f.chunks {
		if c.name != defaultSection || c.header == "" {
			continue
		}
		f.chunks[i] = setInSection(c, key, line, f.eol)
		return f.join()
	}
	sec := chunk{name: defaultSection, header: "[" + defaultSection + "]" + f.eol, body: []string{line + f.eol, f.eol}}
	pre := &f.chunks[0]
	if n := len(pre.body); n > 0 {
		pre.body[n-1] = withEnding(pre.body[n-1], f.eol)
	}
	f.chunks = append(f.chunks[:1], append([]chunk{sec}, f.chunks[1:]...)...)
	return f.join()
}

func setInSection(c chunk, key, line, eol string) chunk {
	var body []string
	found := false
	for _, raw := range c.body {
		k, ok := keyOf(raw)
		switch {
		case !ok || k != key:
			body = append(body, raw)
		case !found && strings.TrimSpace(raw) == line:
			body = append(body, raw)
		case !found:
			body = append(body, line+ending(raw))
		}
		found = found || (ok && k == key)
	}
	if !found {
		c.header = withEnding(c.header, eol)
		body = append([]string{line + eol}, body...)
	}
	c.body = body
	return c
}

// envOnly is a value that is only ${NAME} references: the secret stays in
// each manager host's environment.
var envOnly = regexp.MustCompile(`^(\$\{[A-Za-z_][A-Za-z0-9_]*\})+$`)

// checkSecrets refuses a part whose blocks carry a literal password: the
// part is stored in Redis, where anyone who can read the keys would read
// it. The value itself never appears in the error.
func checkSecrets(p part) error {
	for _, name := range blockOrder(p.blocks) {
		for _, l := range p.blocks[name][1:] {
			k, ok := keyOf(l)
			if !ok {
				continue
			}
			_, v, _ := strings.Cut(l, "=")
			v = strings.Trim(strings.TrimSpace(v), `"'`)
			for _, s := range secretKeys {
				if k == s && v != "" && !envOnly.MatchString(v) {
					return fmt.Errorf("%w: [%s] sets %s, which would be stored in Redis: move it to [server default] "+
						"(host-local), or use %s_file= or %s=${VARIABLE} in the block", ErrSecret, name, k, k, k)
				}
			}
		}
	}
	return nil
}
