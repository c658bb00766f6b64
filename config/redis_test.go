package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRedisProblems(t *testing.T) {
	d := "[server default]\n"
	tests := []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"mode", d + "redis_mode=replicated\n", 2, "redis_mode", "not one of SINGLE, SENTINEL, CLUSTER"},
		{"several addresses, single", d + "redis_address=10.0.0.5:6379,10.0.0.6:6379\n", 2, "redis_address", "2 addresses for one server"},
		{"one bad address in a list", d + "redis_mode=cluster\nredis_address=10.0.0.5:6379,10.0.0.6\n", 3, "redis_address", `"10.0.0.6" is not host:port`},
		{"sentinel without master", d + "redis_mode=sentinel\nredis_address=10.0.0.5:26379\n", 0, "redis_sentinel_master", "needs the master's name"},
		{"master without sentinel", d + "redis_address=10.0.0.5:6379\nredis_sentinel_master=m\n", 3, "redis_sentinel_master", "redis_mode=single"},
		{"cluster db", d + "redis_mode=cluster\nredis_address=10.0.0.5:6379\nredis_db=2\n", 4, "redis_db", "only database 0"},
		{"sentinel password, single", d + "redis_address=10.0.0.5:6379\nredis_sentinel_password=abcdefgh\n", 2, "redis_sentinel_password", "redis_mode=single"},
		{"sentinel secret pair", d + "redis_sentinel_password=x\nredis_sentinel_password_file=/p\n", 3, "redis_sentinel_password_file", "both"},
		{"lock replicas", d + "redis_lock_replicas=-1\n", 2, "redis_lock_replicas", "not an integer between 0 and 16"},
		{"prefix with a brace", d + "redis_key_prefix=a{b\n", 2, "redis_key_prefix", "braces"},
		{"tls file without tls", d + "redis_tls_ca_file=/ca.pem\n", 2, "redis_tls_ca_file", "redis_tls is off"},
		{"tls ca missing", d + "redis_tls=1\nredis_tls_ca_file=/nonexistent/ca.pem\n", 3, "redis_tls_ca_file", "cannot read"},
		{"tls cert without key", d + "redis_tls=1\nredis_tls_cert_file=/c.pem\n", 3, "redis_tls_key_file", "both its certificate and its key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, tt.text+twoServers, testOpts())
			for _, p := range ps {
				if p.Line == tt.line && p.Key == tt.key && strings.Contains(p.Msg, tt.msg) && p.Fix != "" {
					return
				}
			}
			t.Errorf("no problem at line %d key %q containing %q (with a fix); got:%s", tt.line, tt.key, tt.msg, dumpProblems(ps))
		})
	}
}

func TestRedisModes(t *testing.T) {
	env := map[string]string{"MHAGO_REDIS_PASSWORD": "redis-secret-pw", "S_PW": "sentinel-secret"}
	opts := testOpts()
	opts.Getenv = mapEnv(env)
	parse := func(text string) RedisConfig {
		t.Helper()
		cfg, err := Parse("/etc/mhago/app1.cnf", []byte("[server default]\n"+text+twoServers), opts)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Redis
	}
	s := parse("redis_mode=Sentinel\nredis_address=10.0.0.5:26379, 10.0.0.6:26379\nredis_sentinel_master=mymaster\n" +
		"redis_username=mhago\nredis_password=${MHAGO_REDIS_PASSWORD}\nredis_sentinel_password=${S_PW}\n")
	want := RedisConfig{Mode: RedisSentinel, Address: "10.0.0.5:26379,10.0.0.6:26379",
		Addrs: []string{"10.0.0.5:26379", "10.0.0.6:26379"}, SentinelMaster: "mymaster", Username: "mhago",
		Password: "redis-secret-pw", SentinelPassword: "sentinel-secret", KeyPrefix: "mhago", LockTTL: 30 * time.Second,
		LockReplicas: 1}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("sentinel:\n%+v\nwant\n%+v", s, want)
	}
	c := parse("redis_mode=cluster\nredis_address=10.0.0.5:6379\nredis_lock_replicas=1\n")
	eq(t, c.Mode, RedisCluster)
	eq(t, c.LockReplicas, 1)
	eq(t, parse("redis_mode=sentinel\nredis_address=10.0.0.5:26379\nredis_sentinel_master=m\nredis_lock_replicas=0\n").LockReplicas, 0)
	eq(t, parse("redis_address=10.0.0.5:6379\n").LockReplicas, 0)
}

func TestRedisSentinelPasswordIsASecret(t *testing.T) {
	cfg := mustParse(t, "[server default]\nredis_mode=sentinel\nredis_address=10.0.0.5:26379\nredis_sentinel_master=m\n"+
		"redis_sentinel_password=sentinel-secret-pw\n"+twoServers)
	if got := cfg.Scrubber().String("auth sentinel-secret-pw"); strings.Contains(got, "sentinel-secret-pw") {
		t.Errorf("sentinel password not masked: %q", got)
	}
}

func TestRedisTLS(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	writeSelfSigned(t, ca, key)
	if err := os.Link(ca, cert); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(filepath.Join(dir, "app1.cnf"), []byte("[server default]\nredis_address=10.0.0.5:6380\nredis_tls=1\n"+
		"redis_tls_ca_file=ca.pem\nredis_tls_cert_file="+cert+"\nredis_tls_key_file="+key+"\nredis_tls_server_name=redis.example\n"+twoServers), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.Redis.TLS
	if tc == nil || tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.ServerName != "redis.example" || tc.InsecureSkipVerify {
		t.Fatalf("TLS config %+v", tc)
	}
	if off := mustParse(t, "[server default]\nredis_address=10.0.0.5:6379\n"+twoServers).Redis.TLS; off != nil {
		t.Errorf("TLS without redis_tls: %+v", off)
	}
	ps := parseProblems(t, "[server default]\nredis_tls=1\nredis_tls_ca_file="+key+"\n"+twoServers, testOpts())
	if len(ps) != 1 || ps[0].Key != "redis_tls_ca_file" || !strings.Contains(ps[0].Msg, "no PEM certificate") {
		t.Errorf("a key file as CA:%s", dumpProblems(ps))
	}
}

// writeSelfSigned writes a self-signed certificate and its key.
func writeSelfSigned(t *testing.T, certPath, keyPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
}
