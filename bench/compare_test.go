package bench

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mhago/mhago/chaos"
)

// TestCompare (MHAGO_BENCH=1, work in progress): every scenario with both
// tools, MHAGO_BENCH_RUNS times each (default 3), interleaved, each on a
// fresh cluster; prints the table.
func TestCompare(t *testing.T) {
	if os.Getenv("MHAGO_BENCH") != "1" {
		t.Skip("benchmark: MHAGO_BENCH=1")
	}
	runs, _ := strconv.Atoi(os.Getenv("MHAGO_BENCH_RUNS"))
	if runs == 0 {
		runs = 3
	}
	ctx := context.Background()
	shim, _ := filepath.Abs("mha")
	bin, err := chaos.BuildMhago(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Dir: t.TempDir(), ShimDir: shim, Base: 239, Mhago: bin}
	tools := []Tool{MHA(shim), Mhago(bin)}
	var results []Result
	for _, sc := range Scenarios {
		for i := range runs {
			for _, tool := range tools {
				r, err := Trial(ctx, env, tool, sc)
				if err != nil {
					t.Fatalf("%s, %s, run %d: %v", tool.Name, sc, i+1, err)
				}
				t.Log(r)
				results = append(results, r)
			}
		}
	}
	var b strings.Builder
	WriteTable(&b, results)
	t.Log("\n" + b.String())
}
