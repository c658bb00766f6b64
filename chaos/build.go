package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildMhago builds mhago with fault injection (-tags mhagofault) and the
// node agent beside it, where mhago looks for it, into dir.
func BuildMhago(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	mhago := filepath.Join(dir, "mhago")
	builds := []struct {
		env  []string
		args []string
	}{
		{nil, []string{"build", "-tags", "mhagofault", "-o", mhago, "github.com/mhago/mhago"}},
		{[]string{"CGO_ENABLED=0"}, []string{"build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, "mhago-agent"), "github.com/mhago/mhago/nodeagent/cmd/mhago-agent"}},
	}
	for _, b := range builds {
		cmd := exec.CommandContext(ctx, "go", b.args...)
		cmd.Env = append(os.Environ(), b.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %w: %s", strings.Join(b.args, " "), err, out)
		}
	}
	return mhago, nil
}
