package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestProxies(t *testing.T) {
	text := twoServers + // lines 1-5
		"[proxy10]\ntype=script\ncommand=/usr/local/bin/lb --zone a\n" + // 6-8
		"[proxy2]\ntype=haproxy\nhaproxy_address=127.0.0.1:9999\nhaproxy_backend=writers\n" + // 9-12
		"haproxy_servers=server1=db1, server2 = db2\ntimeout=2\n" + // 13-14
		"[proxy1]\ntype=HAProxy\nhaproxy_socket=/run/haproxy/admin.sock\nhaproxy_backend=mysql\n" // 15-18
	c := mustParse(t, text)
	want := []Proxy{
		{Block: "proxy1", Line: 15, Type: ProxyHAProxy, HAProxySocket: "/run/haproxy/admin.sock", HAProxyBackend: "mysql", Timeout: 5 * time.Second},
		{Block: "proxy2", Line: 9, Type: ProxyHAProxy, HAProxyAddress: "127.0.0.1:9999", HAProxyBackend: "writers",
			HAProxyServers: map[string]string{"server1": "db1", "server2": "db2"}, Timeout: 2 * time.Second},
		{Block: "proxy10", Line: 6, Type: ProxyScript, Command: "/usr/local/bin/lb --zone a", Timeout: 5 * time.Second},
	}
	if !reflect.DeepEqual(c.Proxies, want) {
		t.Errorf("Proxies =\n%+v\nwant\n%+v", c.Proxies, want)
	}
	eq(t, c.Proxies[0].HAProxyServer("server2"), "server2")
	eq(t, c.Proxies[1].HAProxyServer("server2"), "db2")
	loc, ok := c.Where("proxy2", "timeout")
	eq(t, ok && loc.Line == 14, true)
	eq(t, len(mustParse(t, twoServers).Proxies), 0)
}

// TestProxyProblems checks each proxy rule with the exact problem text.
func TestProxyProblems(t *testing.T) {
	const sock = "haproxy_socket=/run/h.sock\n"
	tests := []struct {
		name, block string
		want        string
	}{
		{"type missing", sock + "haproxy_backend=b\n",
			"/etc/mhago/app1.cnf:6: [proxy1] type: type is required (fix: add type=haproxy or type=script to this block)"},
		{"bad type", "type=nginx\n",
			`/etc/mhago/app1.cnf:7: [proxy1] type: "nginx" is not a proxy type (fix: use type=haproxy or type=script)`},
		{"unknown key suggests", "type=haproxy\n" + sock + "haproxy_backend=b\nhaproxy_backnd=c\n",
			`/etc/mhago/app1.cnf:10: [proxy1] haproxy_backnd: unknown key in a proxy block (fix: did you mean "haproxy_backend"?)`},
		{"server key is unknown here", "type=script\ncommand=/bin/true\nhostname=h\n",
			"/etc/mhago/app1.cnf:9: [proxy1] hostname: unknown key in a proxy block (fix: a [proxyN] block accepts only " +
				"command, haproxy_address, haproxy_backend, haproxy_servers, haproxy_socket, timeout, type)"},
		{"no endpoint", "type=haproxy\nhaproxy_backend=b\n",
			"/etc/mhago/app1.cnf:6: [proxy1] haproxy_socket: haproxy_socket or haproxy_address is required " +
				"(fix: add haproxy_socket=<path> naming a `stats socket <path> level admin` line of haproxy.cfg)"},
		{"both endpoints", "type=haproxy\n" + sock + "haproxy_address=127.0.0.1:9999\nhaproxy_backend=b\n",
			"/etc/mhago/app1.cnf:9: [proxy1] haproxy_address: both haproxy_socket and haproxy_address are set " +
				"(fix: keep only the one a `stats socket ... level admin` line of haproxy.cfg listens on)"},
		{"relative socket", "type=haproxy\nhaproxy_socket=run/h.sock\nhaproxy_backend=b\n",
			`/etc/mhago/app1.cnf:8: [proxy1] haproxy_socket: "run/h.sock" is not an absolute path (fix: write the full path starting with /)`},
		{"bad address", "type=haproxy\nhaproxy_address=localhost\nhaproxy_backend=b\n",
			`/etc/mhago/app1.cnf:8: [proxy1] haproxy_address: "localhost" is not host:port (fix: write it as 127.0.0.1:6379 ([::1]:6379 for IPv6))`},
		{"backend missing", "type=haproxy\n" + sock,
			"/etc/mhago/app1.cnf:6: [proxy1] haproxy_backend: haproxy_backend is required (fix: add haproxy_backend=<name> of the backend whose servers are the databases)"},
		{"backend with a separator", "type=haproxy\n" + sock + "haproxy_backend=b;shutdown sessions\n",
			`/etc/mhago/app1.cnf:9: [proxy1] haproxy_backend: "b;shutdown sessions" is not an HAProxy backend name ` +
				"(fix: use the name of the backend line in haproxy.cfg (letters, digits, '_', '.', ':', '-'))"},
		{"servers not pairs", "type=haproxy\n" + sock + "haproxy_backend=b\nhaproxy_servers=server1\n",
			`/etc/mhago/app1.cnf:10: [proxy1] haproxy_servers: "server1" is not block=name (fix: write block=name pairs separated by commas, e.g. server1=db1,server2=db2)`},
		{"servers name twice", "type=haproxy\n" + sock + "haproxy_backend=b\nhaproxy_servers=server1=db,server2=db\n",
			"/etc/mhago/app1.cnf:10: [proxy1] haproxy_servers: HAProxy server db is mapped from both [server1] and [server2] " +
				"(fix: write block=name pairs separated by commas, e.g. server1=db1,server2=db2)"},
		{"servers unknown block", "type=haproxy\n" + sock + "haproxy_backend=b\nhaproxy_servers=server9=db9\n",
			"/etc/mhago/app1.cnf:10: [proxy1] haproxy_servers: [server9] is not a server block (fix: map only [serverN] blocks of this file)"},
		{"command in haproxy block", "type=haproxy\n" + sock + "haproxy_backend=b\ncommand=/bin/true\n",
			"/etc/mhago/app1.cnf:10: [proxy1] command: command is for type=script, this block is type=haproxy (fix: remove the line, or change type)"},
		{"haproxy key in script block", "type=script\ncommand=/bin/true\nhaproxy_backend=b\n",
			"/etc/mhago/app1.cnf:9: [proxy1] haproxy_backend: haproxy_backend is for type=haproxy, this block is type=script (fix: remove the line, or change type)"},
		{"command missing", "type=script\n",
			"/etc/mhago/app1.cnf:6: [proxy1] command: command is required for type=script " +
				"(fix: add command=/path/to/script (mhago adds --command=stop|start and the master arguments))"},
		{"command relative", "type=script\ncommand=lb-switch --x\n",
			`/etc/mhago/app1.cnf:8: [proxy1] command: script path "lb-switch" is not absolute (fix: write the full path of the script, starting with /)`},
		{"timeout zero", "type=script\ncommand=/bin/true\ntimeout=0\n",
			`/etc/mhago/app1.cnf:9: [proxy1] timeout: "0" is not a duration of at least 1ms (fix: use seconds ("30") or a Go duration ("30s", "2m") >= 1ms)`},
		{"unset env", "type=script\ncommand=${NOPE_NOT_SET}/lb\n",
			"/etc/mhago/app1.cnf:8: [proxy1] command: environment variable NOPE_NOT_SET is not set " +
				"(fix: export NOPE_NOT_SET before running mhago, or write the value in the file)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, twoServers+"[proxy1]\n"+tt.block, testOpts())
			for _, p := range ps {
				if p.String() == tt.want {
					return
				}
			}
			t.Errorf("want problem\n  %s\ngot:%s", tt.want, dumpProblems(ps))
		})
	}
}

func TestParseHAProxyServers(t *testing.T) {
	tests := []struct {
		raw  string
		want map[string]string
		err  string
	}{
		{"server1=db1", map[string]string{"server1": "db1"}, ""},
		{" server1 = db1 ,server2=db-2.x:1 ", map[string]string{"server1": "db1", "server2": "db-2.x:1"}, ""},
		{"", nil, `"" is not block=name`},
		{"server1=db1,", nil, `"" is not block=name`},
		{"=db1", nil, `"=db1" is not block=name`},
		{"server1=", nil, `"server1=" is not block=name`},
		{"server1=db 1", nil, `"db 1" is not an HAProxy server name`},
		{"server1=a;b", nil, `"a;b" is not an HAProxy server name`},
		{"server1=db1,server1=db2", nil, "[server1] is mapped twice"},
	}
	for _, tt := range tests {
		got, err := ParseHAProxyServers(tt.raw)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
}

// TestExampleProxies loads config.example.ini with its commented-out
// [proxyN] blocks switched on (but haproxy_address, the alternative to
// haproxy_socket), so the example stays valid.
func TestExampleProxies(t *testing.T) {
	data := readExample(t)
	var out []string
	inProxy := false
	for _, line := range strings.Split(data, "\n") {
		if strings.HasPrefix(line, "#[proxy") {
			inProxy = true
		}
		if inProxy && line == "" {
			inProxy = false
		}
		// haproxy_address is the documented alternative to haproxy_socket.
		if inProxy && !strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "#haproxy_address=") {
			line = strings.TrimPrefix(line, "#")
		}
		out = append(out, line)
	}
	c, err := Parse("/etc/mhago/app1.cnf", []byte(strings.Join(out, "\n")), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Proxies) != 2 || c.Proxies[0].Type != ProxyHAProxy || c.Proxies[1].Type != ProxyScript {
		t.Errorf("example proxies: %+v", c.Proxies)
	}
}

func readExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestExampleDocumentsProxyKeys: every [proxyN] key appears in the example
// below a comment saying it is mhago only.
func TestExampleDocumentsProxyKeys(t *testing.T) {
	lines := strings.Split(readExample(t), "\n")
	for _, key := range ProxyKeys() {
		i := firstMatch(lines, regexp.MustCompile(`^#`+regexp.QuoteMeta(key)+`=`))
		if i < 0 {
			t.Errorf("proxy key %s is not in config.example.ini", key)
			continue
		}
		if doc := commentAbove(lines, i); !strings.Contains(doc, "mhago only") {
			t.Errorf("proxy key %s (line %d): comment above does not say \"mhago only\":\n%s", key, i+1, doc)
		}
	}
}
