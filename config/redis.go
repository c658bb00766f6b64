package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RedisMode is how the configured Redis is deployed (redis_mode).
type RedisMode string

// The values of redis_mode.
const (
	RedisSingle   RedisMode = "single"   // one server
	RedisSentinel RedisMode = "sentinel" // redis_address lists sentinels
	RedisCluster  RedisMode = "cluster"  // redis_address lists Redis Cluster seed nodes
)

// maxLockReplicas bounds redis_lock_replicas: more is surely a typo.
const maxLockReplicas = 16

func (r *reader) redis() RedisConfig {
	rc := RedisConfig{
		Mode:           RedisMode(strings.ToLower(r.enum("redis_mode", "SINGLE", "SENTINEL", "CLUSTER"))),
		Addrs:          r.hostPorts("redis_address"),
		SentinelMaster: r.str("redis_sentinel_master"),
		Username:       r.str("redis_username"),
		DB:             r.integer("redis_db", 0, 1<<20),
		KeyPrefix:      r.keyPrefix(),
		LockTTL:        r.duration("lock_ttl", minLockTTL),
	}
	rc.Address = strings.Join(rc.Addrs, ",")
	rc.Password, _ = r.secret("redis_password", "redis_password_file")
	rc.SentinelUsername = r.str("redis_sentinel_username")
	rc.SentinelPassword, _ = r.secret("redis_sentinel_password", "redis_sentinel_password_file")
	rc.LockReplicas = r.lockReplicas(rc.Mode)
	r.checkRedisMode(rc)
	rc.TLS = r.redisTLS()
	return rc
}

// keyPrefix rejects braces as well as blanks: Key puts the cluster id in a
// {hash tag}, and a brace in the prefix would make Redis Cluster hash a
// different part of the name, scattering one cluster's keys over slots.
func (r *reader) keyPrefix() string {
	v, _ := r.get("redis_key_prefix")
	if v.raw == "" || strings.ContainsAny(v.raw, " \t{}") {
		r.problem(v, "redis_key_prefix", "must be non-empty, without spaces or braces", `use e.g. "mhago"`)
	}
	return v.raw
}

// hostPorts reads a comma-separated list of host:port.
func (r *reader) hostPorts(key string) []string {
	v, _ := r.get(key)
	var out []string
	for _, a := range strings.Split(v.raw, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		host, port, err := net.SplitHostPort(a)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			r.problem(v, key, fmt.Sprintf("%q is not host:port", a),
				"write host:port, e.g. 127.0.0.1:6379 ([::1]:6379 for IPv6), several separated by commas")
		}
		out = append(out, a)
	}
	return out
}

// lockReplicas defaults to 1 with Sentinel, whose whole point is a replica
// to fail over to, and to 0 otherwise.
func (r *reader) lockReplicas(mode RedisMode) int {
	if _, set := r.get("redis_lock_replicas"); set {
		return r.integer("redis_lock_replicas", 0, maxLockReplicas)
	}
	if mode == RedisSentinel {
		return 1
	}
	return 0
}

// checkRedisMode checks that the keys fit the mode together.
func (r *reader) checkRedisMode(rc RedisConfig) {
	addr, _ := r.get("redis_address")
	master, masterSet := r.get("redis_sentinel_master")
	switch {
	case len(rc.Addrs) == 0:
		return
	case rc.Mode == RedisSingle && len(rc.Addrs) > 1:
		r.problem(addr, "redis_address", fmt.Sprintf("%d addresses for one server (redis_mode=single)", len(rc.Addrs)),
			"keep one address, or set redis_mode=sentinel (the addresses are sentinels) or redis_mode=cluster (seed nodes)")
	case rc.Mode == RedisSentinel && rc.SentinelMaster == "":
		r.problem(master, "redis_sentinel_master", "redis_mode=sentinel needs the master's name",
			"set redis_sentinel_master to the name in the sentinels' `sentinel monitor <name> ...` line, e.g. mymaster")
	case rc.Mode != RedisSentinel && masterSet:
		r.problem(master, "redis_sentinel_master", fmt.Sprintf("set, but redis_mode=%s", rc.Mode),
			"set redis_mode=sentinel and list the sentinels in redis_address, or remove the line")
	case rc.Mode == RedisCluster && rc.DB != 0:
		v, _ := r.get("redis_db")
		r.problem(v, "redis_db", "Redis Cluster has only database 0", "remove redis_db or set it to 0")
	}
	if rc.Mode != RedisSentinel && (rc.SentinelUsername != "" || rc.SentinelPassword != "") {
		r.problem(addr, "redis_sentinel_password", fmt.Sprintf("sentinel credentials set, but redis_mode=%s", rc.Mode),
			"remove redis_sentinel_username and redis_sentinel_password(_file), or set redis_mode=sentinel")
	}
}

// redisTLS builds the TLS settings of redis_tls: the server's certificate
// is always verified, against redis_tls_ca_file or the system's roots.
func (r *reader) redisTLS() *tls.Config {
	on := r.boolean("redis_tls")
	files := []string{"redis_tls_ca_file", "redis_tls_cert_file", "redis_tls_key_file", "redis_tls_server_name"}
	if !on {
		for _, k := range files {
			if v, set := r.get(k); set && v.raw != "" {
				r.problem(v, k, "set, but redis_tls is off", "set redis_tls=1, or remove the line")
			}
		}
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: r.str("redis_tls_server_name")}
	if v, set := r.get("redis_tls_ca_file"); set && v.raw != "" {
		cfg.RootCAs = r.certPool(v)
	}
	cert, certSet := r.get("redis_tls_cert_file")
	key, keySet := r.get("redis_tls_key_file")
	switch {
	case certSet != keySet:
		missing := "redis_tls_key_file"
		if keySet {
			missing = "redis_tls_cert_file"
		}
		at := cert
		if keySet {
			at = key
		}
		r.problem(at, missing, "a client certificate needs both its certificate and its key file",
			"set both redis_tls_cert_file and redis_tls_key_file, or neither")
	case certSet:
		pair, err := tls.LoadX509KeyPair(r.configPath(cert), r.configPath(key))
		if err != nil {
			r.problem(cert, "redis_tls_cert_file", fmt.Sprintf("cannot load the client certificate and key: %v", err),
				"give PEM files of one certificate and its private key (readable by the user running mhago)")
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

func (r *reader) certPool(v value) *x509.CertPool {
	pool := x509.NewCertPool()
	b, err := os.ReadFile(r.configPath(v))
	switch {
	case err != nil:
		r.problem(v, "redis_tls_ca_file", fmt.Sprintf("cannot read: %v", err), "fix the path of the CA certificate (PEM)")
	case !pool.AppendCertsFromPEM(b):
		r.problem(v, "redis_tls_ca_file", "no PEM certificate in the file", "give the CA certificate that signed Redis's, in PEM")
	}
	return pool
}

// configPath expands "~/" and makes a relative path relative to the
// configuration file, as *_file secrets are.
func (r *reader) configPath(v value) string {
	p := r.l.expandHome(v.raw)
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.l.dir, p)
	}
	return p
}
