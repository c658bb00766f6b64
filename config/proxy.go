package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ProxyType says how mhago drives a proxy.
type ProxyType string

// Proxy types, as written in type= of a [proxyN] block.
const (
	// ProxyHAProxy is driven through HAProxy's runtime API.
	ProxyHAProxy ProxyType = "haproxy"
	// ProxyScript is any proxy driven by an operator's hook script.
	ProxyScript ProxyType = "script"
)

// Proxy is one [proxyN] block (mhago only; MHA has no proxies): a proxy in
// front of the cluster that a switchover or failover redirects.
type Proxy struct {
	Block string // e.g. "proxy1"
	Line  int    // line of the block header
	Type  ProxyType

	// HAProxySocket is the unix socket of HAProxy's runtime API (a
	// "stats socket ... level admin" line); HAProxyAddress is a TCP one
	// (ip:port). Exactly one is set for type=haproxy.
	HAProxySocket  string
	HAProxyAddress string
	// HAProxyBackend is the backend whose servers are the databases.
	HAProxyBackend string
	// HAProxyServers maps a [serverN] block to its server name in the
	// backend where the two differ; see HAProxyServer.
	HAProxyServers map[string]string

	// Command is the hook of type=script: an absolute path and optional
	// arguments.
	Command string

	// Timeout bounds each operation on the proxy.
	Timeout time.Duration
}

// HAProxyServer is the backend's server name for a [serverN] block: the
// haproxy_servers entry, else the block name itself.
func (p Proxy) HAProxyServer(block string) string {
	if name, ok := p.HAProxyServers[block]; ok {
		return name
	}
	return block
}

// proxyKeyDefs are the keys of a [proxyN] block. They are apart from
// keyDefs: a proxy block inherits nothing and server keys are unknown in it.
var proxyKeyDefs = map[string]keyDef{
	"type":            {scopeBlock, "", false},
	"haproxy_socket":  {scopeBlock, "", false},
	"haproxy_address": {scopeBlock, "", false},
	"haproxy_backend": {scopeBlock, "", false},
	"haproxy_servers": {scopeBlock, "", false},
	"command":         {scopeBlock, "", false},
	"timeout":         {scopeBlock, "5s", false},
}

// proxyKeyType is the proxy type a type-specific key belongs to.
var proxyKeyType = map[string]ProxyType{
	"haproxy_socket":  ProxyHAProxy,
	"haproxy_address": ProxyHAProxy,
	"haproxy_backend": ProxyHAProxy,
	"haproxy_servers": ProxyHAProxy,
	"command":         ProxyScript,
}

// ProxyKeys returns the keys a [proxyN] block accepts, sorted.
func ProxyKeys() []string {
	names := make([]string, 0, len(proxyKeyDefs))
	for k := range proxyKeyDefs {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// haproxyName is what HAProxy accepts in a backend or server name. Checking
// it also keeps ';' (the runtime API's command separator) and spaces out
// of the commands mhago sends.
var haproxyName = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// readProxies reads every [proxyN] block, ordered like the servers.
func (l *loader) readProxies(sections []*section) []Proxy {
	var blocks []*section
	for _, sec := range sections {
		if classifySection(sec.name) == kindProxy {
			blocks = append(blocks, sec)
		}
	}
	sortBlocks(blocks)
	proxies := make([]Proxy, 0, len(blocks))
	for _, sec := range blocks {
		proxies = append(proxies, l.readProxy(sec))
	}
	return proxies
}

func (l *loader) readProxy(sec *section) Proxy {
	r := l.newReader(sec, l.proxyLayer(sec))
	r.defs = proxyKeyDefs
	p := Proxy{Block: sec.name, Line: sec.line, Timeout: r.duration("timeout", minDuration)}
	v, set := r.get("type")
	switch t := ProxyType(strings.ToLower(v.raw)); {
	case !set:
		l.ps.at(r.section, "type", "type is required", "add type=haproxy or type=script to this block")
	case t == ProxyHAProxy:
		p.Type = t
		r.readHAProxy(&p)
	case t == ProxyScript:
		p.Type = t
		p.Command = r.proxyCommand()
	default:
		r.problem(v, "type", fmt.Sprintf("%q is not a proxy type", v.raw), "use type=haproxy or type=script")
	}
	r.otherTypeKeys(p.Type)
	return p
}

// proxyLayer checks a proxy block's keys and expands ${NAME} references.
func (l *loader) proxyLayer(sec *section) layer {
	out := layer{}
	for _, e := range sec.entries {
		loc := location{file: sec.file, line: e.line, section: sec.name}
		if _, known := proxyKeyDefs[e.key]; !known {
			l.unknownProxyKey(loc, e.key)
			continue
		}
		out[e.key] = value{raw: l.expandEnv(e.value, loc, e.key), loc: loc}
	}
	return out
}

func (l *loader) unknownProxyKey(loc location, key string) {
	fix := "a [proxyN] block accepts only " + strings.Join(ProxyKeys(), ", ")
	best, bestDist := "", len(key)/3+2
	for _, k := range ProxyKeys() {
		if d := levenshtein(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		fix = fmt.Sprintf("did you mean %q?", best)
	}
	l.ps.at(loc, key, "unknown key in a proxy block", fix)
}

// otherTypeKeys rejects keys of another proxy type: a command= in a
// haproxy block would silently never run.
func (r *reader) otherTypeKeys(t ProxyType) {
	if t == "" {
		return // the type itself is already reported
	}
	for _, key := range ProxyKeys() {
		kt, specific := proxyKeyType[key]
		if v, set := r.get(key); specific && set && kt != t {
			r.problem(v, key, fmt.Sprintf("%s is for type=%s, this block is type=%s", key, kt, t),
				"remove the line, or change type")
		}
	}
}

func (r *reader) readHAProxy(p *Proxy) {
	sv, socketSet := r.get("haproxy_socket")
	av, addrSet := r.get("haproxy_address")
	switch {
	case socketSet && addrSet:
		r.problem(av, "haproxy_address", "both haproxy_socket and haproxy_address are set",
			"keep only the one a `stats socket ... level admin` line of haproxy.cfg listens on")
	case socketSet && sv.raw == "":
		r.problem(sv, "haproxy_socket", "empty socket path", "write the path of the runtime API socket, e.g. /run/haproxy/admin.sock")
	case socketSet:
		p.HAProxySocket = r.path("haproxy_socket")
	case addrSet:
		p.HAProxyAddress = r.hostPort("haproxy_address")
		if p.HAProxyAddress == "" {
			r.problem(av, "haproxy_address", "empty address", "write the runtime API's ip:port, e.g. 127.0.0.1:9999")
		}
	default:
		r.l.ps.at(r.section, "haproxy_socket", "haproxy_socket or haproxy_address is required",
			"add haproxy_socket=<path> naming a `stats socket <path> level admin` line of haproxy.cfg")
	}
	p.HAProxyBackend = r.haproxyBackend()
	p.HAProxyServers = r.haproxyServers()
}

func (r *reader) haproxyBackend() string {
	v, set := r.get("haproxy_backend")
	switch {
	case !set:
		r.l.ps.at(r.section, "haproxy_backend", "haproxy_backend is required",
			"add haproxy_backend=<name> of the backend whose servers are the databases")
	case !haproxyName.MatchString(v.raw):
		r.problem(v, "haproxy_backend", fmt.Sprintf("%q is not an HAProxy backend name", v.raw),
			"use the name of the backend line in haproxy.cfg (letters, digits, '_', '.', ':', '-')")
	}
	return v.raw
}

func (r *reader) haproxyServers() map[string]string {
	v, set := r.get("haproxy_servers")
	if !set {
		return nil
	}
	m, err := ParseHAProxyServers(v.raw)
	if err != nil {
		r.problem(v, "haproxy_servers", err.Error(), "write block=name pairs separated by commas, e.g. server1=db1,server2=db2")
	}
	return m
}

// ParseHAProxyServers parses haproxy_servers: "server1=db1, server2=db2"
// maps [server1] to the backend's server db1. A block or a name given
// twice is an error: two blocks on one HAProxy server would send the new
// master's traffic to the old one.
func ParseHAProxyServers(raw string) (map[string]string, error) {
	m := map[string]string{}
	names := map[string]string{}
	for _, pair := range strings.Split(raw, ",") {
		block, name, ok := strings.Cut(strings.TrimSpace(pair), "=")
		block, name = strings.TrimSpace(block), strings.TrimSpace(name)
		switch {
		case !ok || block == "" || name == "":
			return nil, fmt.Errorf("%q is not block=name", strings.TrimSpace(pair))
		case !haproxyName.MatchString(name):
			return nil, fmt.Errorf("%q is not an HAProxy server name", name)
		case m[block] != "":
			return nil, fmt.Errorf("[%s] is mapped twice", block)
		case names[name] != "":
			return nil, fmt.Errorf("HAProxy server %s is mapped from both [%s] and [%s]", name, names[name], block)
		}
		m[block], names[name] = name, block
	}
	return m, nil
}

// proxyCommand checks a script proxy's command: an absolute program path.
// Unlike MHA's hook keys there is no $PATH lookup: this key is new, so no
// existing file depends on one.
func (r *reader) proxyCommand() string {
	v, set := r.get("command")
	fields := strings.Fields(v.raw)
	switch {
	case !set:
		r.l.ps.at(r.section, "command", "command is required for type=script",
			"add command=/path/to/script (mhago adds --command=stop|start and the master arguments)")
	case len(fields) == 0:
		r.problem(v, "command", "empty command", "write the full path of the script")
	case !filepath.IsAbs(fields[0]):
		r.problem(v, "command", fmt.Sprintf("script path %q is not absolute", fields[0]), "write the full path of the script, starting with /")
	}
	return v.raw
}

// checkProxies checks what a proxy block says about the servers: each
// haproxy_servers entry names a [serverN] block, and every server has a
// usable HAProxy name.
func (l *loader) checkProxies() {
	for _, p := range l.cfg.Proxies {
		if p.Type != ProxyHAProxy {
			continue
		}
		loc := l.proxyLoc(p, "haproxy_servers")
		for _, block := range sortedKeys(p.HAProxyServers) {
			if !slices.ContainsFunc(l.cfg.Servers, func(s Server) bool { return s.Block == block }) {
				l.ps.at(loc, "haproxy_servers", fmt.Sprintf("[%s] is not a server block", block),
					"map only [serverN] blocks of this file")
			}
		}
		for _, s := range l.cfg.Servers {
			if name := p.HAProxyServer(s.Block); !haproxyName.MatchString(name) {
				l.ps.at(loc, "haproxy_servers", fmt.Sprintf("[%s] has no valid HAProxy server name (%q)", s.Block, name),
					fmt.Sprintf("map it: haproxy_servers=%s=<server name in backend %s>", s.Block, p.HAProxyBackend))
			}
		}
	}
}

// proxyLoc is where key was set in p's block, else the block header.
func (l *loader) proxyLoc(p Proxy, key string) location {
	if loc, ok := l.cfg.Where(p.Block, key); ok {
		return location{file: loc.File, line: loc.Line, section: loc.Section}
	}
	return location{file: l.blockFile(p.Block), line: p.Line, section: p.Block}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
