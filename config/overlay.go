package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The overlay file holds mhago's own settings apart from the app file, so
// that MHA itself, which aborts on keys and blocks it does not know, still
// reads the same app.cnf during a migration. It is <app>.mhago.cnf beside
// the app file (app1.cnf -> app1.mhago.cnf) or the file given with
// --mhago-conf, and may hold:
//
//   - [mhago] (or [server default]): mhago-only keys (redis_*, vip, ...);
//   - [serverN]/[binlogN]: mhago-only keys of a block of the app file
//     (password_file, vip_interface, ...);
//   - [proxyN] blocks.
//
// Loading both gives the same Config as one file holding everything. A key
// set in both files must have the same value; a different one is refused
// at the overlay's line, naming the app file's.

// overlaySection names the overlay's own section for application keys.
const overlaySection = "mhago"

// OverlayPath is the overlay file looked for beside the app file at path.
func OverlayPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".mhago.cnf"
}

// findOverlay returns the overlay Load reads: the explicit one, else the
// default one when it exists.
func findOverlay(path string, opts LoadOptions) string {
	if opts.OverlayPath != "" {
		return opts.OverlayPath
	}
	if st, err := os.Stat(OverlayPath(path)); err == nil && st.Mode().IsRegular() {
		return OverlayPath(path)
	}
	return ""
}

// overlayFile is the overlay as read: its application keys and blocks.
type overlayFile struct {
	defaults layer
	blocks   map[string]*section // [serverN] and [binlogN]
	proxies  []*section
	used     []string // blocks the app file also defines
}

// readOverlay reads opts.OverlayPath, if any.
func (l *loader) readOverlay() {
	path := l.opts.OverlayPath
	l.ov = overlayFile{defaults: layer{}, blocks: map[string]*section{}}
	if path == "" {
		return
	}
	l.cfg.OverlayPath = path
	data, err := os.ReadFile(path)
	if err != nil {
		fix := "create it, or stop passing --mhago-conf"
		if !errors.Is(err, fs.ErrNotExist) {
			fix = "make it readable by this user"
		}
		l.ps.at(location{file: path}, "", fmt.Sprintf("cannot read the mhago overlay file: %v", err), fix)
		return
	}
	defaultSeen := ""
	for _, sec := range parseINI(path, data, &l.ps) {
		loc := location{file: path, line: sec.line, section: sec.name}
		switch kind := classifySection(sec.name); {
		case sec.name == overlaySection || kind == kindDefault:
			if defaultSeen != "" {
				l.ps.at(loc, "", fmt.Sprintf("both [%s] and [%s] are set", defaultSeen, sec.name), "keep one of the two sections")
				continue
			}
			defaultSeen = sec.name
			l.ov.defaults = l.overlayLayer(sec)
		case kind == kindServer || kind == kindBinlog:
			l.ov.blocks[sec.name] = sec
		case kind == kindProxy:
			l.ov.proxies = append(l.ov.proxies, sec)
		default:
			l.ps.at(loc, "", "invalid block name in the mhago overlay file",
				"use [mhago], [serverN] or [binlogN] (for a block of the app file) or [proxyN]")
		}
	}
}

// overlayLayer reads an overlay section's keys: only mhago's own, since
// MHA reads only the app file and must see the same MHA settings.
func (l *loader) overlayLayer(sec *section) layer {
	out := l.toLayer(sec, sec.file)
	for key, v := range out {
		if keyDefs[key].mha {
			l.ps.at(v.loc, key, "an MHA setting in the mhago overlay file: MHA, which reads only the app file, would not see it",
				fmt.Sprintf("move %s into %s", key, l.name))
			delete(out, key)
		}
	}
	return out
}

// overlayBlock returns the overlay's keys for an app file block.
func (l *loader) overlayBlock(name string) layer {
	sec, ok := l.ov.blocks[name]
	if !ok {
		return layer{}
	}
	l.ov.used = append(l.ov.used, name)
	return l.overlayLayer(sec)
}

// mergeOverlay adds the overlay's keys to the app file's at the same
// level; a key set in both with different values is refused.
func (l *loader) mergeOverlay(app, ov layer) layer {
	out := overlay(app, ov)
	for key, v := range ov {
		if a, ok := app[key]; ok && a.raw != v.raw {
			l.ps.at(v.loc, key, fmt.Sprintf("differs from %s:%d, which sets it too", a.loc.file, a.loc.line),
				"set it in one of the two files only")
		}
	}
	return out
}

// checkOverlayBlocks reports overlay blocks the app file does not define.
func (l *loader) checkOverlayBlocks() {
	for name, sec := range l.ov.blocks {
		if !containsString(l.ov.used, name) {
			l.ps.at(location{file: sec.file, line: sec.line, section: name}, "",
				fmt.Sprintf("[%s] is not a block of %s", name, l.name),
				fmt.Sprintf("add [%s] with its hostname to %s, or remove it here", name, l.name))
		}
	}
}

// proxySections are the [proxyN] blocks of both files; one defined in
// both is refused.
func (l *loader) proxySections(app []*section) []*section {
	out := app
	for _, p := range l.ov.proxies {
		dup := false
		for _, a := range app {
			if a.name == p.name {
				dup = true
				l.ps.at(location{file: p.file, line: p.line, section: p.name}, "",
					fmt.Sprintf("[%s] is also defined at %s:%d", p.name, a.file, a.line), "keep the block in one file only")
			}
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

// blockFile is the file a block's header is in.
func (l *loader) blockFile(block string) string {
	for _, p := range l.ov.proxies {
		if p.name == block {
			return p.file
		}
	}
	return l.name
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
