package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// LoadOptions tunes Load and Parse. The zero value is the production setup.
type LoadOptions struct {
	// OverlayPath is the mhago overlay file (--mhago-conf; see overlay.go);
	// it must exist. Load defaults it to OverlayPath(path) when that file
	// exists; Parse reads no overlay unless it is set.
	OverlayPath string
	// GlobalPath is a global defaults file holding only [server default]
	// (MHA's --global_conf), given explicitly: one that does not exist is
	// skipped with a warning, as in MHA.
	GlobalPath string
	// DefaultGlobalPath is read when GlobalPath is "" and skipped silently
	// when absent; the commands set it to DefaultGlobalFile, as MHA reads
	// /etc/masterha_default.cnf. "" (tests, the zero value) reads none.
	DefaultGlobalPath string
	// Getenv looks up ${NAME} references; default os.LookupEnv.
	Getenv func(name string) (string, bool)
	// Resolve turns a host name into addresses; default net.LookupHost.
	Resolve func(host string) ([]string, error)
	// SkipInitScript disables running init_conf_load_script.
	SkipInitScript bool
	// InitScriptTimeout bounds init_conf_load_script; default 10s.
	InitScriptTimeout time.Duration
	// Username and HomeDir give the defaults of ssh_user and "~" in paths;
	// empty means the current OS user.
	Username string
	HomeDir  string
}

// DefaultGlobalFile is MHA's default --global_conf.
const DefaultGlobalFile = "/etc/masterha_default.cnf"

// defaultInitScriptTimeout bounds init_conf_load_script, which MHA runs
// without any limit; a hung secret store should not hang a failover forever.
const defaultInitScriptTimeout = 10 * time.Second

// Load reads and validates the configuration file at path.
func Load(path string, opts LoadOptions) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	opts.OverlayPath = findOverlay(path, opts)
	return Parse(path, data, opts)
}

// Parse validates configuration text; name is used as its path (for
// messages, the App name and relative *_file paths). Any problem yields a
// *ProblemsError (errors.Is(err, ErrInvalid)) listing all of them.
func Parse(name string, data []byte, opts LoadOptions) (*Config, error) {
	l := newLoader(name, opts)
	cfg := l.load(data)
	if err := l.ps.err(); err != nil {
		return nil, masked(err, cfg)
	}
	return cfg, nil
}

// masked removes the secrets read so far from the problems of an invalid
// file: no Config is returned, so no caller could mask them later, and a
// problem may quote a value.
func masked(err error, cfg *Config) error {
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		return err
	}
	sc := cfg.Scrubber()
	for i := range pe.Problems {
		pe.Problems[i].Msg, pe.Problems[i].Fix = sc.Secrets(pe.Problems[i].Msg), sc.Secrets(pe.Problems[i].Fix)
	}
	return pe
}

// location is a source position inside the loader; Location is its
// exported twin.
type location struct {
	file    string
	line    int
	section string
}

func (l location) export() Location { return Location{File: l.file, Line: l.line, Section: l.section} }

// value is one raw setting, after ${NAME} expansion.
type value struct {
	raw string
	loc location
}

// layer is the set of keys one source sets.
type layer map[string]value

// overlay returns a copy of base with top's keys replacing base's.
func overlay(base, top layer) layer {
	out := layer{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range top {
		out[k] = v
	}
	return out
}

type loader struct {
	name     string
	dir      string
	opts     LoadOptions
	ov       overlayFile
	ps       problems
	warnings problems
	notes    problems
	cfg      *Config
	// hostKeys are the host key settings of every ssh_options read.
	hostKeys []hostKeyOption
}

func newLoader(name string, opts LoadOptions) *loader {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.Resolve == nil {
		opts.Resolve = net.LookupHost
	}
	if opts.InitScriptTimeout <= 0 {
		opts.InitScriptTimeout = defaultInitScriptTimeout
	}
	l := &loader{name: name, dir: filepath.Dir(name), opts: opts}
	l.fillUser()
	return l
}

// fillUser defaults Username and HomeDir to the current OS user.
func (l *loader) fillUser() {
	if l.opts.Username != "" && l.opts.HomeDir != "" {
		return
	}
	u, err := user.Current()
	if err != nil {
		u = &user.User{Username: os.Getenv("USER"), HomeDir: os.Getenv("HOME")}
	}
	if l.opts.Username == "" {
		l.opts.Username = u.Username
	}
	if l.opts.HomeDir == "" {
		l.opts.HomeDir = u.HomeDir
	}
}

func (l *loader) load(data []byte) *Config {
	base := strings.TrimSuffix(filepath.Base(l.name), filepath.Ext(l.name))
	l.cfg = &Config{Path: l.name, App: base, where: map[string]map[string]Location{}}
	sections := parseINI(l.name, data, &l.ps)
	l.readOverlay()
	defaults := overlay(l.globalDefaults(), l.mergeOverlay(l.appDefaults(sections), l.ov.defaults))
	defaults = overlay(defaults, l.runInitScript(defaults))
	l.readApp(defaults)
	l.cfg.Default = l.readServer(&section{name: defaultSection}, layer{}, defaults)
	l.cfg.Servers = l.readBlocks(sections, kindServer, defaults)
	l.cfg.BinlogServers = l.readBlocks(sections, kindBinlog, defaults)
	l.cfg.Proxies = l.readProxies(l.proxySections(sections))
	l.checkOverlayBlocks()
	l.applyHostKeyOptions(defaults)
	l.validate()
	l.cfg.Warnings = l.warnings.list
	l.cfg.Notes = l.notes.list
	return l.cfg
}

// globalDefaults reads the optional global file's [server default].
func (l *loader) globalDefaults() layer {
	path, explicit := l.opts.GlobalPath, true
	if path == "" {
		path, explicit = l.opts.DefaultGlobalPath, false
	}
	if path == "" {
		return layer{}
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return layer{}
	}
	l.cfg.GlobalPath = path
	if errors.Is(err, fs.ErrNotExist) {
		l.warnings.at(location{file: path}, "", "global configuration file not found, skipped",
			"create it, or stop passing it, if the defaults it should hold matter")
		return layer{}
	}
	if err != nil {
		l.ps.at(location{file: path}, "", fmt.Sprintf("cannot read global configuration: %v", err),
			"make the file readable or drop the global file option")
		return layer{}
	}
	out := layer{}
	for _, sec := range parseINI(path, data, &l.ps) {
		if sec.name != defaultSection {
			l.ps.at(location{file: path, line: sec.line, section: sec.name}, "",
				"the global file may only contain [server default]", "move this block into the application file")
			continue
		}
		out = l.toLayer(sec, path)
	}
	return out
}

// appDefaults returns the app file's [server default] and reports blocks
// whose names MHA would reject.
func (l *loader) appDefaults(sections []*section) layer {
	out := layer{}
	for _, sec := range sections {
		switch classifySection(sec.name) {
		case kindDefault:
			out = l.toLayer(sec, l.name)
		case kindInvalid:
			l.ps.at(location{file: l.name, line: sec.line, section: sec.name}, "",
				"invalid block name: must be [server default], [server<suffix>], [binlog<suffix>] or [proxy<suffix>] (no spaces)",
				"rename it, e.g. [server1], [binlog1] or [proxy1]")
		}
	}
	return out
}

// toLayer checks a section's keys and expands ${NAME} references.
func (l *loader) toLayer(sec *section, file string) layer {
	out := layer{}
	isDefault := sec.name == defaultSection
	for _, e := range sec.entries {
		loc := location{file: file, line: e.line, section: sec.name}
		def, known := keyDefs[e.key]
		switch {
		case !known:
			l.unknownKey(loc, e.key)
		case isDefault && def.scope == scopeBlock:
			l.warnings.at(loc, e.key, "per-server key ignored in [server default] (MHA ignores it too)",
				"move it into the [serverN] blocks it applies to")
		default:
			out[e.key] = value{raw: l.expandEnv(e.value, loc, e.key), loc: loc}
		}
	}
	return out
}

func (l *loader) unknownKey(loc location, key string) {
	fix := "remove it; see config.example.ini for the accepted keys"
	if s := suggestKey(key); s != "" {
		fix = fmt.Sprintf("did you mean %q?", s)
	}
	l.ps.at(loc, key, "unknown key", fix)
}
