package endpoints

import (
	"testing"

	"github.com/mhago/mhago/config"
)

// Every redis_mode reaches coord as its own mode, not as the zero value
// that would silently mean one server.
func TestRedisModes(t *testing.T) {
	for _, m := range []config.RedisMode{config.RedisSingle, config.RedisSentinel, config.RedisCluster} {
		cfg := &config.Config{Redis: config.RedisConfig{Mode: m, Address: "a:1,b:2", Addrs: []string{"a:1", "b:2"},
			SentinelMaster: "mm", Username: "u", Password: "pw-123456", SentinelPassword: "spw-123456", LockReplicas: 1}}
		o, ok := Redis(cfg)
		if !ok || string(o.Mode) != string(m) || len(o.Addrs) != 2 || o.MasterName != "mm" || o.Username != "u" ||
			o.Password != "pw-123456" || o.SentinelPassword != "spw-123456" || o.LockReplicas != 1 {
			t.Errorf("%s: %+v", m, o)
		}
	}
}
