package configsync

import (
	"testing"

	"github.com/mhago/mhago/config"
)

// TestEveryKeyClassified makes adding a config key a decision: does it
// travel with the cluster part, or stay on the manager host?
func TestEveryKeyClassified(t *testing.T) {
	known := map[string]bool{}
	for _, k := range config.KnownKeys() {
		known[k] = true
		if defaultKeys[k] == 0 {
			t.Errorf("key %s is neither a cluster key nor a local one: add it to defaultKeys", k)
		}
	}
	for k := range defaultKeys {
		if !known[k] {
			t.Errorf("defaultKeys names %s, which config does not know", k)
		}
	}
	for _, k := range secretKeys {
		if isClusterKey(k) {
			t.Errorf("secret %s would travel", k)
		}
	}
}
