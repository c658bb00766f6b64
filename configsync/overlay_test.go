package configsync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mhago/mhago/config"
)

// TestOverlayRefused: with the mhago keys in an overlay file, push, pull
// and the version check refuse before touching Redis or either file.
func TestOverlayRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	app := filepath.Join(dir, "app1.cnf")
	appText := "[server default]\nuser=root\n[server1]\nhostname=127.0.0.1\nport=3306\n[server2]\nhostname=127.0.0.1\nport=3307\n"
	ovText := "[mhago]\nredis_address=127.0.0.1:1\n"
	if err := os.WriteFile(app, []byte(appText), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config.OverlayPath(app), []byte(ovText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(app, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := Push(ctx, nil, cfg, 0, ""); !errors.Is(err, ErrOverlay) {
		t.Errorf("push: %v", err)
	}
	if _, _, err := Pull(ctx, nil, cfg); !errors.Is(err, ErrOverlay) {
		t.Errorf("pull: %v", err)
	}
	if err := CheckFresh(ctx, nil, cfg); !errors.Is(err, ErrOverlay) {
		t.Errorf("check fresh: %v", err)
	}
	for path, want := range map[string]string{app: appText, config.OverlayPath(app): ovText} {
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s changed:\n%s", path, got)
		}
	}
}
