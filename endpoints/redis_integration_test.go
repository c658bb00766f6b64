package endpoints

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/testenv/cluster"
)

// The product's path to Redis: an app.cnf's redis_* keys, loaded by
// config, turned into coord.Options here, used by coord.

const servers = "\n[server1]\nhostname=127.0.0.1\n[server2]\nhostname=127.0.0.2\n"

func loadRedis(t *testing.T, dir, redisKeys string) coord.Options {
	t.Helper()
	path := filepath.Join(dir, "app.cnf")
	if err := os.WriteFile(path, []byte("[server default]\n"+redisKeys+servers), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o, ok := Redis(cfg)
	if !ok {
		t.Fatal("redis not enabled")
	}
	o.Timeout = 2 * time.Second
	return o
}

func writeSecret(t *testing.T, dir, name, v string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// lockOnce takes and releases the failover lock, the whole round trip a
// failover makes.
func lockOnce(ctx context.Context, o coord.Options) error {
	c := coord.NewClient(o)
	defer c.Close()
	l, err := coord.Acquire(ctx, c, coord.LockOptions{KeyPrefix: o.KeyPrefix, Cluster: "app1", TTL: 3 * time.Second})
	if err != nil {
		return err
	}
	return l.Release(ctx)
}

// An ACL user limited to mhago's keys, its password from a file.
func TestRedisACLUser(t *testing.T) {
	g := cluster.StartRedisServer(t, cluster.RedisServerOptions{Host: 111, Password: "default-user-password",
		Conf: []string{"user mhago on >mhago-acl-password ~mhago:* &mhago:* +@all"}})
	addr := g.Nodes()[0].Addr
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pw := writeSecret(t, dir, "redis.password", "mhago-acl-password")
	o := loadRedis(t, dir, fmt.Sprintf("redis_address=%s\nredis_username=mhago\nredis_password_file=%s\n", addr, pw))
	if err := lockOnce(ctx, o); err != nil {
		t.Fatalf("lock as ACL user mhago: %v", err)
	}
	// The ACL applies: another prefix is outside the user's keys.
	o.KeyPrefix = "other"
	if err := lockOnce(ctx, o); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Fatalf("lock under a prefix the ACL denies: %v, want NOPERM", err)
	}
	bad := writeSecret(t, dir, "wrong.password", "not-the-password")
	o = loadRedis(t, dir, fmt.Sprintf("redis_address=%s\nredis_username=mhago\nredis_password_file=%s\n", addr, bad))
	err := lockOnce(ctx, o)
	if err == nil || errors.Is(err, coord.ErrUnreachable) || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("wrong password: %v, want WRONGPASS, not 'unreachable'", err)
	}
	if strings.Contains(err.Error(), "not-the-password") {
		t.Fatal("the error shows the password")
	}
}

// TLS with a client certificate against redis-server --tls-port: verified
// against the CA from the config; refused without the CA (unknown
// authority) and without a client certificate.
func TestRedisTLS(t *testing.T) {
	dir := t.TempDir()
	ip := cluster.LoopbackIP(112)
	f, err := cluster.WriteTLSFiles(dir, []string{ip}, "redis.test")
	if err != nil {
		t.Fatal(err)
	}
	const tlsPort = 6380
	cluster.StartRedisServer(t, cluster.RedisServerOptions{Host: 112, Conf: []string{
		fmt.Sprintf("tls-port %d", tlsPort), "tls-cert-file " + f.ServerCert, "tls-key-file " + f.ServerKey,
		"tls-ca-cert-file " + f.CA, "tls-auth-clients yes"}})
	addr := fmt.Sprintf("%s:%d", ip, tlsPort)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := fmt.Sprintf("redis_address=%s\nredis_tls=1\nredis_tls_ca_file=%s\nredis_tls_cert_file=%s\nredis_tls_key_file=%s\n",
		addr, f.CA, f.ClientCert, f.ClientKey)
	if err := lockOnce(ctx, loadRedis(t, dir, full)); err != nil {
		t.Fatalf("lock over TLS: %v", err)
	}
	// The certificate names redis.test and the IP; a server name it does
	// not carry fails verification.
	if err := lockOnce(ctx, loadRedis(t, dir, full+"redis_tls_server_name=redis.test\n")); err != nil {
		t.Fatalf("lock over TLS with redis_tls_server_name: %v", err)
	}
	if err := lockOnce(ctx, loadRedis(t, dir, full+"redis_tls_server_name=other.test\n")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("wrong server name: %v, want a certificate error", err)
	}
	noCA := fmt.Sprintf("redis_address=%s\nredis_tls=1\nredis_tls_cert_file=%s\nredis_tls_key_file=%s\n", addr, f.ClientCert, f.ClientKey)
	if err := lockOnce(ctx, loadRedis(t, dir, noCA)); err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("without the CA: %v, want unknown authority", err)
	}
	noCert := fmt.Sprintf("redis_address=%s\nredis_tls=1\nredis_tls_ca_file=%s\n", addr, f.CA)
	if err := lockOnce(ctx, loadRedis(t, dir, noCert)); err == nil {
		t.Fatal("without a client certificate the server (tls-auth-clients yes) must refuse")
	}
}
