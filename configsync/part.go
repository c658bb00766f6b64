package configsync

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The cluster part of a config file is what every manager host must agree
// on: the [serverN], [binlogN] and [proxyN] blocks, and the cluster keys of
// [server default] (keys.go). Its canonical text, which Push stores, is
// independent of the file's layout: the cluster keys first, trimmed and
// sorted, under [server default], then the blocks sorted by kind and
// number, each without the blank and comment lines that trail it, lines
// ending in "\n". A block's comments between its keys travel with it.
//
// Everything else in a file (comments, blank lines, the host-local keys,
// the order of blocks, line endings, a byte order mark) is local: a
// replace keeps it byte for byte.

// ErrLayout marks a file or part that cannot be split into its cluster and
// local parts without guessing (a section or a cluster key twice).
var ErrLayout = errors.New("config layout")

// ErrSecret marks a cluster block that carries a password: it would be
// stored in Redis.
var ErrSecret = errors.New("secret in the cluster part")

const defaultSection = "server default"

// chunk is one section of a file: its header line and the lines up to the
// next header. The preamble (lines before any header) has no header.
type chunk struct {
	name   string   // section name; "" for the preamble
	header string   // raw header line, with its line ending
	body   []string // raw lines, each with its line ending (the last may lack one)
}

// content is the header and body up to the last line that is neither
// blank nor a comment; tail is the rest.
func (c chunk) content() (content, tail []string) {
	end := len(c.body)
	for end > 0 && isDecoration(c.body[end-1]) {
		end--
	}
	return append([]string{c.header}, c.body[:end]...), c.body[end:]
}

// file is a config text split into sections.
type file struct {
	bom    bool
	eol    string // the file's line ending, for inserted lines
	chunks []chunk
}

const bom = "\ufeff"

// split cuts text into chunks, as config's parser and RemoveServerBlock
// see sections: a header is a trimmed line that starts with '[' and ends
// with ']'.
func split(text string) file {
	f := file{eol: "\n"}
	if rest, ok := strings.CutPrefix(text, bom); ok {
		f.bom, text = true, rest
	}
	if i := strings.IndexByte(text, '\n'); i > 0 && text[i-1] == '\r' {
		f.eol = "\r\n"
	}
	cur := chunk{}
	for _, raw := range strings.SplitAfter(text, "\n") {
		if raw == "" {
			continue
		}
		if name, ok := headerName(raw); ok {
			f.chunks = append(f.chunks, cur)
			cur = chunk{name: name, header: raw}
			continue
		}
		cur.body = append(cur.body, raw)
	}
	f.chunks = append(f.chunks, cur)
	return f
}

// join is split's inverse.
func (f file) join() string {
	var b strings.Builder
	if f.bom {
		b.WriteString(bom)
	}
	for _, c := range f.chunks {
		b.WriteString(c.header)
		for _, l := range c.body {
			b.WriteString(l)
		}
	}
	return b.String()
}

func headerName(raw string) (string, bool) {
	l := strings.TrimSpace(raw)
	if len(l) < 2 || l[0] != '[' || l[len(l)-1] != ']' {
		return "", false
	}
	return strings.TrimSpace(l[1 : len(l)-1]), true
}

// isDecoration: a blank or comment line.
func isDecoration(raw string) bool {
	l := strings.TrimSpace(raw)
	return l == "" || l[0] == '#' || l[0] == ';'
}

// keyOf returns the key of a key=value line.
func keyOf(raw string) (string, bool) {
	if isDecoration(raw) {
		return "", false
	}
	k, _, ok := strings.Cut(raw, "=")
	k = strings.TrimSpace(k)
	return k, ok && k != ""
}

// bare is a line without its line ending.
func bare(raw string) string {
	return strings.TrimRight(strings.TrimSuffix(raw, "\n"), "\r")
}

// ending is a line's own line ending ("" for a last line without one).
func ending(raw string) string { return raw[len(bare(raw)):] }

type blockKind int

const (
	kindOther blockKind = iota
	kindServer
	kindBinlog
	kindProxy
)

// kindOf classifies a section name as config does.
func kindOf(name string) blockKind {
	for _, k := range []struct {
		prefix string
		kind   blockKind
	}{{"server", kindServer}, {"binlog", kindBinlog}, {"proxy", kindProxy}} {
		rest, ok := strings.CutPrefix(name, k.prefix)
		if ok && rest != "" && !strings.ContainsAny(rest, " \t") && name != defaultSection {
			return k.kind
		}
	}
	return kindOther
}

func isClusterBlock(name string) bool { return kindOf(name) != kindOther }

// part is a cluster part: the cluster keys' lines by key, and the blocks'
// content lines (without line endings) by name.
type part struct {
	keys   map[string]string
	blocks map[string][]string
}

// extract reads the cluster part of a file.
func (f file) extract() (part, error) {
	p := part{keys: map[string]string{}, blocks: map[string][]string{}}
	defaults := 0
	for _, c := range f.chunks {
		switch {
		case c.header == "":
		case c.name == defaultSection:
			defaults++
			if err := p.addKeys(c.body); err != nil {
				return part{}, err
			}
		case isClusterBlock(c.name):
			if _, dup := p.blocks[c.name]; dup {
				return part{}, fmt.Errorf("%w: section [%s] appears twice", ErrLayout, c.name)
			}
			content, _ := c.content()
			p.blocks[c.name] = bareLines(content)
		}
	}
	if defaults > 1 {
		return part{}, fmt.Errorf("%w: section [%s] appears twice", ErrLayout, defaultSection)
	}
	return p, nil
}

func (p part) addKeys(body []string) error {
	for _, raw := range body {
		k, ok := keyOf(raw)
		if !ok || !isClusterKey(k) {
			continue
		}
		if _, dup := p.keys[k]; dup {
			return fmt.Errorf("%w: %s is set twice in [%s]", ErrLayout, k, defaultSection)
		}
		p.keys[k] = strings.TrimSpace(raw)
	}
	return nil
}

func bareLines(raw []string) []string {
	out := make([]string, len(raw))
	for i, l := range raw {
		out[i] = bare(strings.TrimPrefix(l, bom))
	}
	return out
}

// text is the canonical text of a part.
func (p part) text() string {
	var b strings.Builder
	if len(p.keys) > 0 {
		b.WriteString("[" + defaultSection + "]\n")
		for _, k := range slices.Sorted(maps.Keys(p.keys)) {
			b.WriteString(p.keys[k] + "\n")
		}
	}
	for _, name := range blockOrder(p.blocks) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		for _, l := range p.blocks[name] {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

var firstNumber = regexp.MustCompile(`[0-9]+`)

// blockOrder sorts block names by kind, then by their first number, then
// by name, so that server10 follows server9.
func blockOrder(blocks map[string][]string) []string {
	names := make([]string, 0, len(blocks))
	for n := range blocks {
		names = append(names, n)
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(firstNumber.FindString(s), 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if ka, kb := kindOf(a), kindOf(b); ka != kb {
			return ka < kb
		}
		if na, nb := num(a), num(b); na != nb {
			return na < nb
		}
		return a < b
	})
	return names
}

// parsePart reads a canonical text back (or any config text: its cluster
// part).
func parsePart(text string) (part, error) { return split(text).extract() }

// Extract returns the canonical text of the cluster part of a config file.
func Extract(text string) (string, error) {
	p, err := split(text).extract()
	if err != nil {
		return "", err
	}
	return p.text(), nil
}

// Replace returns text with its cluster part replaced by the part in
// clusterText, keeping every other byte: the host-local keys, comments,
// blank lines, line endings and the order of the blocks it keeps. A
// cluster key or block whose content is unchanged keeps its exact bytes;
// a changed one is rewritten in place; one the part lacks is removed (the
// comments and blank lines after it stay); a new one is added, keys right
// after the [server default] header, blocks after the last cluster block.
func Replace(text, clusterText string) (string, error) {
	want, err := parsePart(clusterText)
	if err != nil {
		return "", fmt.Errorf("cluster part: %w", err)
	}
	f := split(text)
	if _, err := f.extract(); err != nil {
		return "", err
	}
	r := replacer{f: f, want: want, keysDone: map[string]bool{}, blocksDone: map[string]bool{}}
	return r.run(), nil
}

type replacer struct {
	f          file
	want       part
	keysDone   map[string]bool
	blocksDone map[string]bool
	out        []chunk
	insertAt   int // index in out after which new blocks go; -1 = at the end
}

func (r *replacer) run() string {
	r.insertAt = -1
	hasDefault := false
	for _, c := range r.f.chunks {
		switch {
		case c.name == defaultSection && c.header != "":
			hasDefault = true
			r.out = append(r.out, r.defaults(c))
		case c.header != "" && isClusterBlock(c.name):
			r.block(c)
		default:
			r.out = append(r.out, c)
		}
	}
	r.addBlocks()
	if !hasDefault && len(r.want.keys) > 0 {
		r.addDefaults()
	}
	return file{bom: r.f.bom, eol: r.f.eol, chunks: r.out}.join()
}

// defaults rewrites the cluster keys of [server default] in place.
func (r *replacer) defaults(c chunk) chunk {
	var body []string
	for _, raw := range c.body {
		k, ok := keyOf(raw)
		if !ok || !isClusterKey(k) {
			body = append(body, raw)
			continue
		}
		line, wanted := r.want.keys[k]
		switch {
		case !wanted || r.keysDone[k]:
		case strings.TrimSpace(raw) == line:
			body = append(body, raw)
		default:
			body = append(body, line+ending(raw))
		}
		r.keysDone[k] = true
	}
	var added []string
	for _, k := range slices.Sorted(maps.Keys(r.want.keys)) {
		if !r.keysDone[k] {
			added = append(added, r.want.keys[k]+r.f.eol)
			r.keysDone[k] = true
		}
	}
	if len(added) > 0 {
		c.header = withEnding(c.header, r.f.eol)
	}
	c.body = append(added, body...)
	return c
}

// withEnding completes a line that ends the file without a newline, so
// that something can follow it.
func withEnding(raw, eol string) string {
	switch {
	case raw == "" || strings.HasSuffix(raw, "\n"):
		return raw
	case strings.HasSuffix(raw, "\r"):
		return raw + "\n"
	}
	return raw + eol
}

// block keeps, rewrites or removes one cluster block; its tail stays,
// and blocks the file lacks will go before the last block's tail.
func (r *replacer) block(c chunk) {
	content, tail := c.content()
	want, wanted := r.want.blocks[c.name]
	switch {
	case !wanted || r.blocksDone[c.name]:
	case equalLines(bareLines(content), want):
		r.out = append(r.out, chunk{name: c.name, header: c.header, body: c.body[:len(c.body)-len(tail)]})
	default:
		r.out = append(r.out, r.render(c.name, want, strings.HasSuffix(content[len(content)-1], "\n")))
	}
	r.blocksDone[c.name] = true
	r.insertAt = len(r.out)
	r.out = append(r.out, chunk{body: tail})
}

// render turns block lines into a chunk in the file's line endings;
// complete is false when the block it replaces ended the file without a
// newline, which the new one then lacks too.
func (r *replacer) render(name string, lines []string, complete bool) chunk {
	c := chunk{name: name, header: lines[0] + r.f.eol}
	for _, l := range lines[1:] {
		c.body = append(c.body, l+r.f.eol)
	}
	if !complete {
		if len(c.body) > 0 {
			c.body[len(c.body)-1] = bare(c.body[len(c.body)-1])
		} else {
			c.header = bare(c.header)
		}
	}
	return c
}

// addBlocks inserts the blocks the file lacks, in canonical order.
func (r *replacer) addBlocks() {
	var added []chunk
	for _, name := range blockOrder(r.want.blocks) {
		if !r.blocksDone[name] {
			added = append(added, r.render(name, r.want.blocks[name], true))
		}
	}
	if len(added) == 0 {
		return
	}
	at := len(r.out)
	if r.insertAt >= 0 {
		at = r.insertAt
	}
	var ins []chunk
	before := file{chunks: r.out[:at]}.join()
	if before != "" && !strings.HasSuffix(before, "\n") {
		ins = append(ins, chunk{body: []string{r.f.eol}}) // end the last line
	}
	for i, c := range added {
		if i > 0 || before != "" {
			ins = append(ins, chunk{body: []string{r.f.eol}}) // a blank line between blocks
		}
		ins = append(ins, c)
	}
	r.out = append(r.out[:at], append(ins, r.out[at:]...)...)
}

// addDefaults creates [server default] with the cluster keys before the
// first section (after the preamble's comments).
func (r *replacer) addDefaults() {
	c := chunk{name: defaultSection, header: "[" + defaultSection + "]" + r.f.eol}
	for _, k := range slices.Sorted(maps.Keys(r.want.keys)) {
		c.body = append(c.body, r.want.keys[k]+r.f.eol)
	}
	c.body = append(c.body, r.f.eol)
	at := 1 // after the preamble
	pre := r.out[0]
	if n := len(pre.body); n > 0 {
		r.out[0].body = append(append([]string(nil), pre.body[:n-1]...), withEnding(pre.body[n-1], r.f.eol))
	}
	r.out = append(r.out[:at], append([]chunk{c}, r.out[at:]...)...)
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
