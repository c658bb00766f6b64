package agentctl

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"strings"
)

// ErrCannotRun: the host's kernel or dynamic loader refused the agent
// binary. It was built for another architecture, or it is linked against
// a C library the host does not have (a cgo `go build` of mhago serving as
// its own agent on a host with another libc).
var ErrCannotRun = errors.New("agent binary cannot run on the host")

// RunError is ErrCannotRun with its cause and the fix for it.
type RunError struct {
	Host, Why, Fix string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("%v: %s: %s (fix: %s)", ErrCannotRun, e.Host, e.Why, e.Fix)
}

// Is matches ErrCannotRun.
func (e *RunError) Is(target error) bool { return target == ErrCannotRun }

// target is what an ELF file says about where it runs.
type target struct {
	Arch   string // GOARCH spelling; "" when not an ELF file
	Interp string // dynamic loader; "" for a static binary
}

var elfArch = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm",
	elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64", elf.EM_MIPS: "mips",
}

// binaryTarget reads the agent's ELF header and loader.
func binaryTarget(data []byte) target {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return target{}
	}
	defer f.Close()
	t := target{Arch: elfArch[f.Machine]}
	if t.Arch == "" {
		t.Arch = f.Machine.String()
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				t.Interp = strings.TrimRight(string(b), "\x00")
			}
		}
	}
	return t
}

// cannotRun decides whether the shell's exit status and message, from
// exec'ing the agent whose SHA-256 it had just verified (so the file is
// there), mean the binary does not fit the host, and says why and the fix.
func cannotRun(exit int, stderr string, bin target, source string) (why, fix string, ok bool) {
	built := "a static binary"
	if bin.Interp != "" {
		built = "dynamically linked against " + bin.Interp
	}
	rebuild := "set agent_path to an mhago-agent built for that host (CGO_ENABLED=0 GOOS=linux GOARCH=<the host's> go build ./nodeagent/cmd/mhago-agent), or run the release mhago for that architecture"
	switch {
	case exit == 126 && (strings.Contains(stderr, "Exec format error") || strings.Contains(stderr, "cannot execute binary file")):
		return fmt.Sprintf("the agent (%s, built for linux/%s) is not for this host's architecture: %s", source, orUnknown(bin.Arch), stderr), rebuild, true
	case exit == 127 && bin.Interp != "":
		return fmt.Sprintf("the agent (%s) is %s, which this host does not have: %s", source, built, stderr), dynamicFix, true
	case strings.Contains(stderr, "GLIBC_") || strings.Contains(stderr, "error while loading shared libraries"):
		return fmt.Sprintf("the agent (%s) is %s, and this host's C library does not fit it: %s", source, built, stderr), dynamicFix, true
	}
	return "", "", false
}

// dynamicFix: a static agent runs on any Linux host of its architecture.
const dynamicFix = "build mhago with CGO_ENABLED=0 (CGO_ENABLED=0 go install ...), or with `make build`, which embeds a static agent, or set agent_path to a static mhago-agent"

func orUnknown(s string) string {
	if s == "" {
		return "an unknown platform (not an ELF file)"
	}
	return s
}

// runError turns a start that the host's exec refused into *RunError.
func runError(err error, bin Binary, host string) error {
	var br *badResponse
	if !errors.As(err, &br) {
		return err
	}
	why, fix, ok := cannotRun(br.exit, br.stderr, binaryTarget(bin.Data), bin.Source)
	if !ok {
		return err
	}
	return &RunError{Host: host, Why: why, Fix: fix}
}
