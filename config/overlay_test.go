package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The MHA-only app file and the overlay of TestOverlaySameAsCombined; the
// combined file is their concatenation with [mhago] renamed.
const (
	mhaOnlyApp = `[server default]
user=mha
password=${MHAGO_MYSQL_PASSWORD}
ssh_user=root
manager_workdir=/var/log/masterha/app1
ping_type=CONNECT
secondary_check_script=/usr/bin/masterha_secondary_check -s host3
[server1]
hostname=host1
candidate_master=1
[server2]
hostname=host2
[server3]
hostname=host3
no_master=1
`
	mhagoOverlay = `[mhago]
redis_address=127.0.0.1:6379
redis_password=${MHAGO_REDIS_PASSWORD}
cluster_id=app1
lock_ttl=20s
vip=10.0.0.100/24
vip_interface=eth0
[server2]
vip_interface=eth1
[proxy1]
type=haproxy
haproxy_socket=/run/haproxy/admin.sock
haproxy_backend=mysql
`
)

// writeOverlay writes the overlay beside a fresh app file path.
func writeOverlay(t *testing.T, text string) (app, ov string) {
	t.Helper()
	dir := t.TempDir()
	app = filepath.Join(dir, "app1.cnf")
	ov = OverlayPath(app)
	if err := os.WriteFile(ov, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return app, ov
}

// layoutFree drops what legitimately differs between the two layouts:
// where the values were read from (files and lines).
func layoutFree(c *Config) Config {
	out := *c
	out.where, out.OverlayPath, out.Path = nil, "", ""
	out.Proxies = append([]Proxy(nil), c.Proxies...)
	for i := range out.Proxies {
		out.Proxies[i].Line = 0
	}
	out.Servers = append([]Server(nil), c.Servers...)
	for i := range out.Servers {
		out.Servers[i].Line = 0
	}
	return out
}

func TestOverlaySameAsCombined(t *testing.T) {
	t.Parallel()
	app, ov := writeOverlay(t, mhagoOverlay)
	opts := testOpts()
	opts.OverlayPath = ov
	split, err := Parse(app, []byte(mhaOnlyApp), opts)
	if err != nil {
		t.Fatalf("app + overlay: %v", err)
	}
	combined := mustParse(t, `[server default]
user=mha
password=${MHAGO_MYSQL_PASSWORD}
ssh_user=root
manager_workdir=/var/log/masterha/app1
ping_type=CONNECT
secondary_check_script=/usr/bin/masterha_secondary_check -s host3
redis_address=127.0.0.1:6379
redis_password=${MHAGO_REDIS_PASSWORD}
cluster_id=app1
lock_ttl=20s
vip=10.0.0.100/24
vip_interface=eth0
[server1]
hostname=host1
candidate_master=1
[server2]
hostname=host2
vip_interface=eth1
[server3]
hostname=host3
no_master=1
[proxy1]
type=haproxy
haproxy_socket=/run/haproxy/admin.sock
haproxy_backend=mysql
`)
	if split.OverlayPath != ov {
		t.Errorf("OverlayPath %q, want %q", split.OverlayPath, ov)
	}
	if got, want := layoutFree(split), layoutFree(combined); !reflect.DeepEqual(got, want) {
		t.Fatalf("app + overlay differs from the combined file:\n got %+v\nwant %+v", got, want)
	}
	if loc, ok := split.Where("server default", "redis_address"); !ok || loc.File != ov || loc.Line != 2 {
		t.Errorf("redis_address read at %+v, want %s:2", loc, ov)
	}
	if loc, ok := split.Where("server2", "vip_interface"); !ok || loc.File != ov || loc.Line != 9 {
		t.Errorf("vip_interface read at %+v, want %s:9", loc, ov)
	}
}

// TestLoadFindsOverlay: Load reads <app>.mhago.cnf beside the app file.
func TestLoadFindsOverlay(t *testing.T) {
	t.Parallel()
	app, ov := writeOverlay(t, mhagoOverlay)
	if err := os.WriteFile(app, []byte(mhaOnlyApp), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(app, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OverlayPath != ov || cfg.Redis.Address != "127.0.0.1:6379" || len(cfg.Proxies) != 1 || cfg.Servers[1].VIPInterface != "eth1" {
		t.Fatalf("overlay not applied: path %q redis %q proxies %d", cfg.OverlayPath, cfg.Redis.Address, len(cfg.Proxies))
	}
	// Without the file, nothing is looked for and nothing is wrong.
	if err := os.Remove(ov); err != nil {
		t.Fatal(err)
	}
	if cfg, err = Load(app, testOpts()); err != nil || cfg.OverlayPath != "" || cfg.Redis.Address != "" {
		t.Fatalf("no overlay: %v %+v", err, cfg)
	}
}

func TestOverlayProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, app, ov string
		line          int
		want          string
	}{
		{"conflicting value", "[server default]\nlock_ttl=30s\n" + twoServers, "[mhago]\nlock_ttl=20s\n", 2, "differs from"},
		{"MHA key in the overlay", "[server default]\n" + twoServers, "[mhago]\nping_interval=1\n", 2, "MHA setting in the mhago overlay"},
		{"MHA key in an overlay block", "[server default]\n" + twoServers, "[server1]\ncandidate_master=1\n", 2, "MHA setting"},
		{"block unknown to the app file", "[server default]\n" + twoServers, "[server9]\nvip_interface=eth0\n", 1, "not a block of"},
		{"proxy in both files", "[server default]\n" + twoServers + "[proxy1]\ntype=script\ncommand=/bin/true\n",
			"[proxy1]\ntype=script\ncommand=/bin/true\n", 1, "also defined at"},
		{"both default sections", "[server default]\n" + twoServers, "[mhago]\nlock_ttl=20s\n[server default]\nlock_ttl=20s\n", 3, "both [mhago] and [server default]"},
		{"invalid block", "[server default]\n" + twoServers, "[redis]\nredis_db=1\n", 1, "invalid block name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app, ov := writeOverlay(t, tc.ov)
			opts := testOpts()
			opts.OverlayPath = ov
			_, err := Parse(app, []byte(tc.app), opts)
			pe, ok := err.(*ProblemsError)
			if !ok {
				t.Fatalf("want problems, got %v", err)
			}
			for _, p := range pe.Problems {
				if p.File == ov && p.Line == tc.line && strings.Contains(p.Msg, tc.want) {
					return
				}
			}
			t.Fatalf("want %q at %s:%d, got:%s", tc.want, ov, tc.line, dumpProblems(pe.Problems))
		})
	}
}

func TestOverlayExplicitMissing(t *testing.T) {
	t.Parallel()
	opts := testOpts()
	opts.OverlayPath = filepath.Join(t.TempDir(), "nope.cnf")
	ps := parseProblems(t, "[server default]\n"+twoServers, opts)
	if len(ps) != 1 || ps[0].File != opts.OverlayPath || !strings.Contains(ps[0].Msg, "cannot read the mhago overlay") {
		t.Fatalf("problems:%s", dumpProblems(ps))
	}
}

// TestRemoveServerBlockOverlay: the block leaves both files and cluster_id
// goes into the overlay, never into the MHA app file.
func TestRemoveServerBlockOverlay(t *testing.T) {
	t.Parallel()
	app, ov := writeOverlay(t, "[mhago]\nredis_db=1\n[server3]\nvip_interface=eth0\n")
	if err := os.WriteFile(app, []byte(mhaOnlyApp), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Path: app, OverlayPath: ov}
	if err := cfg.RemoveServerBlock("server3", "cabc"); err != nil {
		t.Fatal(err)
	}
	gotApp, _ := os.ReadFile(app)
	gotOv, _ := os.ReadFile(ov)
	if strings.Contains(string(gotApp), "server3") || strings.Contains(string(gotApp), "cluster_id") {
		t.Errorf("app file:\n%s", gotApp)
	}
	if string(gotOv) != "[mhago]\ncluster_id=cabc\nredis_db=1\n" {
		t.Errorf("overlay:\n%s", gotOv)
	}
}
