package config

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// reader resolves keys for one block through its layers (most specific
// first), converts them, and records problems at the value's location.
type reader struct {
	l       *loader
	section location // the block header, for problems about unset keys
	layers  []layer
	where   map[string]Location
	defs    map[string]keyDef // keyDefs, or proxyKeyDefs in a [proxyN] block
}

func (l *loader) newReader(sec *section, layers ...layer) *reader {
	where := l.cfg.where[sec.name]
	if where == nil {
		where = map[string]Location{}
		l.cfg.where[sec.name] = where
	}
	file := sec.file
	if file == "" {
		file = l.name // the synthetic [server default] of readApp and readServer
	}
	loc := location{file: file, line: sec.line, section: sec.name}
	return &reader{l: l, section: loc, layers: layers, where: where, defs: keyDefs}
}

// get returns the effective raw value of key and whether the file set it.
func (r *reader) get(key string) (value, bool) {
	for _, ly := range r.layers {
		if v, ok := ly[key]; ok {
			r.where[key] = v.loc.export()
			return v, true
		}
	}
	return value{raw: r.defs[key].def, loc: r.section}, false
}

func (r *reader) problem(v value, key, msg, fix string) { r.l.ps.at(v.loc, key, msg, fix) }

func (r *reader) str(key string) string {
	v, _ := r.get(key)
	return v.raw
}

// boolean accepts MHA's 0/1 and the usual words.
func (r *reader) boolean(key string) bool {
	v, _ := r.get(key)
	switch strings.ToLower(v.raw) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	r.problem(v, key, fmt.Sprintf("%q is not a boolean", v.raw), "use 1 or 0")
	return r.defs[key].def == "1"
}

func (r *reader) integer(key string, lo, hi int) int {
	v, _ := r.get(key)
	n, err := strconv.Atoi(v.raw)
	if err != nil || n < lo || n > hi {
		r.problem(v, key, fmt.Sprintf("%q is not an integer between %d and %d", v.raw, lo, hi),
			fmt.Sprintf("use a whole number from %d to %d", lo, hi))
		n, _ = strconv.Atoi(r.defs[key].def)
	}
	return n
}

// duration accepts Go syntax ("30s", "2m") or a bare integer meaning
// seconds (MHA's ping_interval and ssh_connection_timeout are integers).
// Every duration must be at least min.
func (r *reader) duration(key string, minimum time.Duration) time.Duration {
	v, _ := r.get(key)
	d, err := parseDuration(v.raw)
	if err != nil || d < minimum {
		r.problem(v, key, fmt.Sprintf("%q is not a duration of at least %s", v.raw, minimum),
			fmt.Sprintf("use seconds (\"30\") or a Go duration (\"30s\", \"2m\") >= %s", minimum))
		d, _ = parseDuration(r.defs[key].def)
	}
	return d
}

func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// path returns an optional absolute path; "~/" expands to the home directory.
func (r *reader) path(key string) string {
	v, _ := r.get(key)
	return r.absPath(v, key, v.raw)
}

// workdir returns a working directory: an absolute path, not "/", without
// ".." elements. mhago creates and removes its run directories inside it,
// so a path that climbs out of where it points ("/var/tmp/../etc") or the
// root itself would scatter the agent's files where nobody looks for them.
func (r *reader) workdir(key string) string {
	v, _ := r.get(key)
	p := r.absPath(v, key, v.raw)
	switch {
	case p == "":
		r.problem(v, key, "empty directory", fmt.Sprintf("remove the line for the default %s, or write an absolute directory", r.defs[key].def))
	case !filepath.IsAbs(p):
		// reported by absPath
	// The raw value is checked too: expanding "~/" cleans the path and
	// would hide a ".." the operator wrote.
	case slices.Contains(strings.Split(v.raw, "/"), ".."), slices.Contains(strings.Split(p, "/"), ".."):
		r.problem(v, key, fmt.Sprintf("%q contains a \"..\" element", v.raw),
			fmt.Sprintf("write the directory without \"..\" (this one resolves to %s), e.g. %s=/var/tmp", filepath.Clean(p), key))
	case filepath.Clean(p) == "/":
		r.problem(v, key, fmt.Sprintf("%q is the root directory", v.raw),
			fmt.Sprintf("use a dedicated directory, e.g. %s=/var/tmp", key))
	}
	return p
}

// paths returns a comma-separated list of absolute paths. Whitespace is
// removed, as MHA does for master_binlog_dir.
func (r *reader) paths(key string) []string {
	v, _ := r.get(key)
	var out []string
	for _, p := range strings.Split(strings.Join(strings.Fields(v.raw), ""), ",") {
		if p != "" {
			out = append(out, r.absPath(v, key, p))
		}
	}
	if len(out) == 0 {
		r.problem(v, key, "empty list", "give at least one absolute path, or remove the line for the default")
	}
	return out
}

func (r *reader) absPath(v value, key, p string) string {
	p = r.l.expandHome(p)
	if p != "" && !filepath.IsAbs(p) {
		r.problem(v, key, fmt.Sprintf("%q is not an absolute path", p), "write the full path starting with /")
	}
	return p
}

// enum upper-cases the value (as MHA does for ping_type) and checks it.
func (r *reader) enum(key string, allowed ...string) string {
	v, _ := r.get(key)
	s := strings.ToUpper(v.raw)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	r.problem(v, key, fmt.Sprintf("%q is not one of %s", v.raw, strings.Join(allowed, ", ")),
		"use one of "+strings.Join(allowed, ", "))
	return r.defs[key].def
}

// script returns a hook command after checking its first word is absolute.
func (r *reader) script(key string) string {
	v, set := r.get(key)
	if set && v.raw != "" {
		r.l.checkScript(v, key)
	}
	return v.raw
}

// checkScript accepts an absolute first word, or a bare command name found
// in $PATH (MHA's own documentation writes
// "secondary_check_script=masterha_secondary_check -s host").
func (l *loader) checkScript(v value, key string) bool {
	fields := strings.Fields(v.raw)
	switch {
	case len(fields) == 0:
		l.ps.at(v.loc, key, "empty command", "write the full path of the script, or remove the line")
	case filepath.IsAbs(fields[0]):
		return true
	case strings.Contains(fields[0], "/"):
		l.ps.at(v.loc, key, fmt.Sprintf("script path %q is relative", fields[0]), "write the full path of the script, starting with /")
	case key == "secondary_check_script" && fields[0] == BuiltinSecondaryCheck:
		return true // built in when not on PATH (package secondary)
	default:
		if _, err := exec.LookPath(fields[0]); err == nil {
			return true
		}
		// MHA's loader accepts it and its shell looks it up when the hook
		// runs; this host may not have it installed yet.
		l.warnings.at(v.loc, key, fmt.Sprintf("command %q is not found in $PATH here: the hook fails if it is still missing when it runs", fields[0]),
			"install it in $PATH, or write the full path of the script, starting with /")
		return true
	}
	return false
}

// secret resolves a pair like password/password_file: the most specific
// layer that sets either wins, and one layer may not set both.
func (r *reader) secret(plainKey, fileKey string) (s Secret, set bool) {
	for _, ly := range r.layers {
		pv, hasPlain := ly[plainKey]
		fv, hasFile := ly[fileKey]
		switch {
		case hasPlain && hasFile:
			r.problem(fv, fileKey, fmt.Sprintf("both %s and %s are set", plainKey, fileKey),
				fmt.Sprintf("keep only one of %s and %s", plainKey, fileKey))
			return "", true
		case hasPlain:
			r.where[plainKey] = pv.loc.export()
			return r.shortSecret(Secret(pv.raw), pv.loc, plainKey), true
		case hasFile:
			r.where[fileKey] = fv.loc.export()
			return r.shortSecret(r.l.readSecretFile(r.l.expandHome(fv.raw), fv.loc, fileKey), fv.loc, fileKey), true
		}
	}
	return "", false
}

// shortSecret warns about a secret too short to be masked by its text
// (redact.MinLen): masking every "abc" would garble the logs and reports
// it must be kept out of, so it is masked only where it is a password=
// value or a --*password= argument.
func (r *reader) shortSecret(s Secret, loc location, key string) Secret {
	if n := len(s.Reveal()); n > 0 && n < minMaskedSecret {
		r.l.warnings.at(loc, key, fmt.Sprintf("the value has only %d characters: mhago cannot mask it in hook output, logs and reports "+
			"(it masks secrets by their text, from %d characters on), only where it is a password=... value", n, minMaskedSecret),
			fmt.Sprintf("use a password of at least %d characters", minMaskedSecret))
	}
	return s
}

// hostPort checks an optional "host:port" value.
func (r *reader) hostPort(key string) string {
	v, _ := r.get(key)
	if v.raw == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(v.raw)
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		r.problem(v, key, fmt.Sprintf("%q is not host:port", v.raw), "write it as 127.0.0.1:6379 ([::1]:6379 for IPv6)")
	}
	return v.raw
}

// expandHome expands a leading "~/" to the current user's home directory.
func (l *loader) expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && l.opts.HomeDir != "" {
		return filepath.Join(l.opts.HomeDir, rest)
	}
	return p
}
