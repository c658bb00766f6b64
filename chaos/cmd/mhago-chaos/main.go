// Command mhago-chaos plays seeded failover scenarios on real testenv
// clusters and prints a summary (see package chaos). `make chaos` runs it:
//
//	mhago-chaos [-seed S] [-n N] [-dir DIR] [-base B] [-keep]
//
// Seeds S, S+1, ... S+N-1 are played in turn; without -seed, S is drawn
// from the clock and printed, so any run can be replayed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mhago/mhago/chaos"
)

func main() {
	seed := flag.Int64("seed", 0, "first seed (0: from the clock)")
	n := flag.Int("n", 0, "scenarios to play (default 1 with -seed, else 10)")
	dir := flag.String("dir", "/tmp/mhago-chaos", "clusters, binaries and kept failures")
	base := flag.Int("base", 49, "testenv base address 127.0.NET.BASE")
	keep := flag.Bool("keep", false, "keep the artifacts of passing scenarios too")
	flag.Parse()
	if *n == 0 {
		*n = 10
		if *seed != 0 {
			*n = 1
		}
	}
	if *seed == 0 {
		*seed = time.Now().UnixNano() % 1_000_000
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("mhago chaos: seeds %d..%d, clusters in %s\n", *seed, *seed+int64(*n)-1, *dir)
	bin, err := chaos.BuildMhago(ctx, filepath.Join(*dir, "bin"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "mhago-chaos:", err)
		os.Exit(2)
	}
	env := chaos.Env{Mhago: bin, Dir: *dir, Base: *base, KeepAll: *keep,
		Progress: func(s string) { fmt.Printf("  %s %s\n", time.Now().Format("15:04:05"), s) }}
	var results []chaos.Result
	for i := range *n {
		if ctx.Err() != nil {
			break
		}
		sc := chaos.Draw(*seed + int64(i))
		fmt.Printf("[%d/%d] seed %d: %s\n", i+1, *n, sc.Seed, sc)
		r := chaos.RunScenario(ctx, env, sc)
		verdict := "pass"
		if !r.Passed {
			verdict = fmt.Sprintf("FAIL: %v", r.Problems)
		}
		fmt.Printf("[%d/%d] seed %d: %s in %s\n", i+1, *n, sc.Seed, verdict, r.Elapsed.Round(100*time.Millisecond))
		results = append(results, r)
	}
	fmt.Println()
	chaos.WriteSummary(os.Stdout, results)
	for _, r := range results {
		if !r.Passed {
			os.Exit(1)
		}
	}
}
