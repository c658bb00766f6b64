package config

import (
	"fmt"
	"strings"
)

// entry is one key=value line, remembered with its line so that every
// problem can point at the exact place to edit.
type entry struct {
	key   string
	value string
	line  int
}

// section is one [name] block of an INI file.
type section struct {
	file    string
	name    string
	line    int
	entries []entry
}

// lookup returns the entry for key, if the section sets it.
func (s *section) lookup(key string) (entry, bool) {
	for _, e := range s.entries {
		if e.key == key {
			return e, true
		}
	}
	return entry{}, false
}

// parseINI reads the Config::Tiny dialect MHA uses: [section] headers,
// key=value lines, whole-line # and ; comments. Like Config::Tiny there are
// no inline comments: "password=a#b" means the password "a#b".
func parseINI(file string, data []byte, ps *problems) []*section {
	text := strings.TrimPrefix(string(data), "\ufeff")
	var sections []*section
	byName := map[string]*section{}
	var cur *section
	for i, raw := range strings.Split(text, "\n") {
		loc := location{file: file, line: i + 1}
		if cur != nil {
			loc.section = cur.name
		}
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			cur = parseHeader(line, loc, byName, ps)
			if cur != nil && byName[cur.name] == nil {
				byName[cur.name] = cur
				sections = append(sections, cur)
			}
		default:
			parseKeyValue(line, loc, cur, ps)
		}
	}
	return sections
}

// parseHeader handles a "[name]" line. A repeated header continues the
// earlier section, so that its keys are still checked (and duplicates found).
func parseHeader(line string, loc location, byName map[string]*section, ps *problems) *section {
	if !strings.HasSuffix(line, "]") {
		ps.at(loc, "", fmt.Sprintf("section header %q has no closing ']'", line), "write it as [server1]")
		return nil
	}
	name := strings.TrimSpace(line[1 : len(line)-1])
	if prev, ok := byName[name]; ok {
		ps.at(loc, "", fmt.Sprintf("section [%s] is defined twice (first at line %d)", name, prev.line),
			"merge the two blocks into one")
		return prev
	}
	return &section{file: loc.file, name: name, line: loc.line}
}

// parseKeyValue handles a "key = value" line inside cur.
func parseKeyValue(line string, loc location, cur *section, ps *problems) {
	key, value, ok := strings.Cut(line, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		ps.at(loc, "", fmt.Sprintf("cannot parse %q: expected key=value, [section], or a # comment", clip(line)),
			"write one key=value per line; start comments with #")
		return
	}
	if cur == nil {
		ps.at(loc, key, "key outside any section", "put it under [server default] or a [serverN] block")
		return
	}
	loc.section = cur.name
	if prev, dup := cur.lookup(key); dup {
		ps.at(loc, key, fmt.Sprintf("set twice in this section (first at line %d)", prev.line),
			"keep only one of the two lines")
		return
	}
	cur.entries = append(cur.entries, entry{key: key, value: stripQuotes(strings.TrimSpace(value)), line: loc.line})
}

// stripQuotes removes quotes the way MHA does (s/^['"]?(.*)['"]$/$1/): a
// trailing quote is required, a leading one is optional, and the two need not
// match.
func stripQuotes(v string) string {
	if v == "" || (v[len(v)-1] != '"' && v[len(v)-1] != '\'') {
		return v
	}
	v = v[:len(v)-1]
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		v = v[1:]
	}
	return v
}

// clip shortens a line quoted in a message. The line may hold a secret (a
// password with the '=' forgotten), so only its first word is shown.
func clip(s string) string {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 24 {
		s = s[:24] + "..."
	}
	return s
}

// sectionKind classifies a section name as MHA does.
type sectionKind int

const (
	kindInvalid sectionKind = iota
	kindDefault
	kindServer
	kindBinlog
	kindProxy
)

// defaultSection is the name of the block every server inherits from.
const defaultSection = "server default"

func classifySection(name string) sectionKind {
	if name == defaultSection {
		return kindDefault
	}
	for prefix, kind := range map[string]sectionKind{"server": kindServer, "binlog": kindBinlog, "proxy": kindProxy} {
		rest, ok := strings.CutPrefix(name, prefix)
		if ok && rest != "" && !strings.ContainsAny(rest, " \t") {
			return kind
		}
	}
	return kindInvalid
}
