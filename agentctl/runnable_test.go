package agentctl

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestCannotRun(t *testing.T) {
	static := target{Arch: "arm64"}
	dynamic := target{Arch: "amd64", Interp: "/lib64/ld-linux-x86-64.so.2"}
	for _, tc := range []struct {
		name    string
		exit    int
		stderr  string
		bin     target
		ok      bool
		why     string // part of the reason
		fixPart string
	}{
		{"wrong arch, bash", 126, "bash: line 1: /w/mhago-agent: cannot execute binary file: Exec format error", static, true, "built for linux/arm64", "GOARCH"},
		{"wrong arch, dash", 126, "sh: 1: exec: /w/mhago-agent: Exec format error", static, true, "architecture", "GOARCH"},
		{"no loader (musl host)", 127, "bash: line 1: /w/mhago-agent: No such file or directory", dynamic, true, "dynamically linked against /lib64/ld-linux-x86-64.so.2", "CGO_ENABLED=0"},
		{"old glibc", 1, "/w/mhago-agent: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found", dynamic, true, "C library", "CGO_ENABLED=0"},
		{"noexec mount is another cause", 126, "bash: line 1: /w/mhago-agent: Permission denied", static, false, "", ""},
		{"static binary, 127 is not the loader", 127, "bash: /w/mhago-agent: No such file or directory", static, false, "", ""},
		{"agent crashed", 2, "panic: boom", dynamic, false, "", ""},
	} {
		why, fix, ok := cannotRun(tc.exit, tc.stderr, tc.bin, "mhago itself")
		if ok != tc.ok || !strings.Contains(why, tc.why) || !strings.Contains(fix, tc.fixPart) {
			t.Errorf("%s: cannotRun = %q, %q, %v; want %v with %q and fix %q", tc.name, why, fix, ok, tc.ok, tc.why, tc.fixPart)
		}
	}
}

func TestBinaryTarget(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if got := binaryTarget(data); got.Arch != runtime.GOARCH {
		t.Errorf("binaryTarget(test binary) = %+v, want arch %s", got, runtime.GOARCH)
	}
	if got := binaryTarget([]byte("#!/bin/sh\n")); got != (target{}) {
		t.Errorf("binaryTarget(script) = %+v, want nothing", got)
	}
}
