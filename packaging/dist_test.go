// Package packaging holds the release's packaging files; its test builds
// the release artifacts with scripts/dist.sh and checks what they hold.
package packaging

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var machines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// TestDist runs `make dist`'s script into a temporary folder: both
// binaries are static ELF files of their arch embedding that arch's agent,
// and each .deb installs the binary, the man page, completion, the
// systemd unit and the cron file.
func TestDist(t *testing.T) {
	if testing.Short() {
		// CI must build the release artifacts: there a skip is a failure.
		if os.Getenv("CI") == "true" {
			t.Fatal("TestDist run with -short under CI=true")
		}
		t.Skip("builds mhago for two architectures and two packages (about a minute)")
	}
	out := t.TempDir()
	const version = "v9.8.7"
	cmd := exec.Command("scripts/dist.sh")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "OUT="+out, "VERSION="+version, "COMMIT=0123456789ab")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/dist.sh: %v\n%s", err, b)
	}
	for arch, machine := range machines {
		t.Run(arch, func(t *testing.T) {
			bin := filepath.Join(out, "linux_"+arch, "mhago")
			assertStatic(t, bin, machine)
			agent := read(t, filepath.Join(out, "mhago-agent_linux_"+arch))
			assertStatic(t, filepath.Join(out, "mhago-agent_linux_"+arch), machine)
			if !bytes.Contains(read(t, bin), agent) {
				t.Errorf("%s does not embed mhago-agent_linux_%s", bin, arch)
			}
			if arch == runtime.GOARCH {
				assertVersion(t, bin, version)
			}
			deb := filepath.Join(out, "mhago_9.8.7_"+arch+".deb")
			assertDeb(t, deb, arch)
		})
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertStatic: an ELF file for machine with no dynamic loader.
func assertStatic(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s is for %s, want %s", path, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked", path)
		}
	}
}

func assertVersion(t *testing.T, bin, version string) {
	t.Helper()
	b, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("%s version --json: %v", bin, err)
	}
	var v struct{ Version, Commit, Agent string }
	if err := json.Unmarshal(b, &v); err != nil || v.Version != version || v.Commit != "0123456789ab" || v.Agent != "embedded" {
		t.Errorf("%s version --json = %s (%v); want version %s, its commit, agent embedded", bin, b, err, version)
	}
}

// debFiles are the paths each package must install.
var debFiles = []string{
	"./usr/bin/mhago",
	"./usr/share/man/man1/mhago.1.gz",
	"./usr/share/bash-completion/completions/mhago",
	"./usr/share/zsh/vendor-completions/_mhago",
	"./lib/systemd/system/mhago-monitor@.service",
	"./etc/cron.d/mhago",
	"./usr/share/doc/mhago/examples/app.cnf",
}

func assertDeb(t *testing.T, deb, arch string) {
	t.Helper()
	list, err := exec.Command("dpkg-deb", "--contents", deb).Output()
	if err != nil {
		t.Fatalf("dpkg-deb --contents %s: %v", deb, err)
	}
	for _, f := range debFiles {
		if !bytes.Contains(list, []byte(" "+f+"\n")) {
			t.Errorf("%s lacks %s:\n%s", deb, f, list)
		}
	}
	if got, err := exec.Command("dpkg-deb", "--field", deb, "Architecture").Output(); err != nil || strings.TrimSpace(string(got)) != arch {
		t.Errorf("%s: Architecture %q (%v), want %s", deb, got, err, arch)
	}
	dir := t.TempDir()
	if b, err := exec.Command("dpkg-deb", "--extract", deb, dir).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --extract: %v: %s", err, b)
	}
	man := gunzip(t, filepath.Join(dir, "usr/share/man/man1/mhago.1.gz"))
	for _, want := range []string{".TH mhago 1", ".SH failover", ".SH monitor", ".SH EXIT STATUS", ".SH NODE AGENT"} {
		if !strings.Contains(man, want) {
			t.Errorf("the man page lacks %q", want)
		}
	}
	if arch == runtime.GOARCH {
		assertCompletion(t, filepath.Join(dir, "usr/bin"), filepath.Join(dir, "usr/share/bash-completion/completions/mhago"))
	}
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertCompletion sources the packaged bash completion and completes a
// command and a flag with the packaged binary.
func assertCompletion(t *testing.T, bindir, script string) {
	t.Helper()
	for _, tc := range []struct{ line, want string }{
		{"mhago fai", "failover"},
		{"mhago check --con", "--conf --confirm-wait"},
	} {
		sh := `source "$1"; read -ra COMP_WORDS <<<"$2"; COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _mhago; echo "${COMPREPLY[*]}"`
		cmd := exec.Command("bash", "-c", sh, "bash", script, tc.line)
		cmd.Env = append(os.Environ(), "PATH="+bindir+":"+os.Getenv("PATH"))
		got, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(got)) != tc.want {
			t.Errorf("completing %q: %q (%v), want %q", tc.line, got, err, tc.want)
		}
	}
}
