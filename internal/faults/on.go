//go:build mhagofault

package faults

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// Enabled tells whether faults can be injected in this build.
const Enabled = true

type fault struct {
	action, point string
	delay         time.Duration
}

var faults = parse(os.Getenv("MHAGO_FAULT"))

func parse(spec string) []fault {
	var out []fault
	for _, f := range strings.Split(spec, ",") {
		action, point, ok := strings.Cut(strings.TrimSpace(f), "@")
		if !ok {
			continue
		}
		var delay time.Duration
		if p, d, ok := strings.Cut(point, "+"); ok {
			delay, _ = time.ParseDuration(d)
			point = p
		}
		out = append(out, fault{action, point, delay})
	}
	return out
}

// At strikes the faults registered for point. A delayed fault strikes on
// its own goroutine, so the caller goes on (into its apply) meanwhile.
func At(point string) {
	for _, f := range faults {
		if f.point != point {
			continue
		}
		if f.delay > 0 {
			go func() { time.Sleep(f.delay); strike(f) }()
			continue
		}
		strike(f)
	}
}

func strike(f fault) {
	switch f.action {
	case "kill":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the kill arrives; nothing after the point may run
	case "panic":
		panic(fmt.Sprintf("fault injected at %s", f.point))
	case "pause":
		pause(f.point)
	}
}

func pause(point string) {
	dir := os.Getenv("MHAGO_FAULT_PAUSE_DIR")
	if dir == "" {
		return
	}
	path := PauseFile(dir, point)
	if os.WriteFile(path, nil, 0o600) != nil {
		return
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return
		}
	}
}
