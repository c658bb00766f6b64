// Package secondary is mhago's built-in masterha_secondary_check: from
// each secondary host, over mhago's own SSH (host keys verified), the node
// agent tries a TCP connect to the master, and the answers become MHA's
// exit code: 0 the master is unreachable from every secondary host, 2 a
// secondary host itself could not be used, 3 some host reaches the
// master. A failover's dead-master confirmation runs it in-process when
// secondary_check_script names masterha_secondary_check and no such
// program is on PATH; `mhago secondary-check` runs it from the shell.
package secondary

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mhago/mhago/config"
)

// Program is the name of MHA's reference script this package replaces.
const Program = config.BuiltinSecondaryCheck

// Request is one check, with masterha_secondary_check's arguments.
type Request struct {
	Hosts    []string // -s / --secondary_host, in order
	User     string   // SSH user on the secondary hosts (default root)
	Port     int      // their SSH port (default 22)
	KeyFiles []string // -i / -o IdentityFile of --options
	// ConnectTimeout is --options' -o ConnectTimeout; 0: Timeout.
	ConnectTimeout time.Duration
	MasterHost     string
	MasterIP       string
	MasterPort     int           // default 3306
	Timeout        time.Duration // the connect to the master (default 5 s)
	PingType       string
	// Ignored lists arguments and --options parts that change nothing
	// here (MHA's Getopt ignored unknown options too).
	Ignored []string
}

// Defaults, as masterha_secondary_check sets them.
const (
	DefaultUser       = "root"
	DefaultPort       = 22
	DefaultMasterPort = 3306
	DefaultTimeout    = 5 * time.Second
)

// MasterAddr is the address the secondary hosts connect to: the master's
// hostname as MHA uses it, else its IP.
func (r Request) MasterAddr() string {
	h := r.MasterHost
	if h == "" {
		h = r.MasterIP
	}
	return net.JoinHostPort(h, strconv.Itoa(r.MasterPort))
}

// optionNames are masterha_secondary_check's options; like Perl's
// Getopt::Long, a unique prefix names one ("-s" is --secondary_host).
var optionNames = []string{"help", "version", "secondary_host", "user", "port", "options", "master_host", "master_ip",
	"master_port", "master_user", "master_password", "ping_type", "timeout"}

// ParseArgs reads masterha_secondary_check's command line (without the
// program name): --name=value, --name value, -name value, and unique
// prefixes. Unknown options are listed in Ignored, as MHA went on past
// them.
func ParseArgs(args []string) (Request, error) {
	r := Request{User: DefaultUser, Port: DefaultPort, MasterPort: DefaultMasterPort, Timeout: DefaultTimeout}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		opt := lookupOption(name)
		if !strings.HasPrefix(a, "-") || opt == "" {
			r.Ignored = append(r.Ignored, a)
			continue
		}
		if opt == "help" || opt == "version" {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return Request{}, fmt.Errorf("%s: %s needs a value", Program, a)
			}
			i++
			val = args[i]
		}
		if err := r.set(opt, val); err != nil {
			return Request{}, fmt.Errorf("%s: %s: %w", Program, a, err)
		}
	}
	if r.MasterHost == "" && r.MasterIP == "" {
		return Request{}, fmt.Errorf("%s: --master_host is required", Program)
	}
	if len(r.Hosts) == 0 {
		return Request{}, fmt.Errorf("%s: no secondary host (-s HOST)", Program)
	}
	return r, nil
}

func lookupOption(name string) string {
	found := ""
	for _, o := range optionNames {
		switch {
		case o == name:
			return o
		case name != "" && strings.HasPrefix(o, name):
			if found != "" {
				return "" // ambiguous
			}
			found = o
		}
	}
	return found
}

func (r *Request) set(opt, val string) error {
	var err error
	switch opt {
	case "secondary_host":
		r.Hosts = append(r.Hosts, val)
	case "user":
		r.User = val
	case "port":
		r.Port, err = port(val)
	case "options":
		err = r.setSSHOptions(val)
	case "master_host":
		r.MasterHost = val
	case "master_ip":
		r.MasterIP = val
	case "master_port":
		r.MasterPort, err = port(val)
	case "timeout":
		r.Timeout, err = seconds(val)
	case "ping_type":
		r.PingType = strings.ToUpper(val)
	case "master_user", "master_password":
		// Only an INSERT check would log in; it is not made (see Check).
	}
	return err
}

func port(v string) (int, error) {
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", v)
	}
	return p, nil
}

// seconds reads MHA's whole seconds, or a Go duration ("1500ms").
func seconds(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("timeout %q is not a number of seconds", v)
	}
	return d, nil
}

// setSSHOptions takes from an OpenSSH options fragment what mhago's SSH
// client applies to the secondary hosts: keys, port, connect timeout.
// Host keys are always checked against the known_hosts in use.
func (r *Request) setSSHOptions(s string) error {
	words, err := config.SplitShellWords(s)
	if err != nil {
		return err
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		flag, val := w, ""
		if len(w) > 2 && (strings.HasPrefix(w, "-i") || strings.HasPrefix(w, "-p") || strings.HasPrefix(w, "-o")) {
			flag, val = w[:2], w[2:]
		} else if (w == "-i" || w == "-p" || w == "-o") && i+1 < len(words) {
			i++
			val = words[i]
		}
		if err := r.sshOption(flag, val); err != nil {
			return err
		}
	}
	return nil
}

func (r *Request) sshOption(flag, val string) error {
	key, v, _ := strings.Cut(val, "=")
	var err error
	switch {
	case flag == "-i":
		r.KeyFiles = append(r.KeyFiles, val)
	case flag == "-p":
		r.Port, err = port(val)
	case flag == "-o" && strings.EqualFold(key, "IdentityFile"):
		r.KeyFiles = append(r.KeyFiles, v)
	case flag == "-o" && strings.EqualFold(key, "Port"):
		r.Port, err = port(v)
	case flag == "-o" && strings.EqualFold(key, "ConnectTimeout"):
		r.ConnectTimeout, err = seconds(v)
	default:
		r.Ignored = append(r.Ignored, strings.TrimSpace(flag+" "+val))
	}
	return err
}

// Builtin reports whether script names masterha_secondary_check and the
// shell would not find it (not on PATH, or not at the path written): mhago
// then runs its own in its place.
func Builtin(script string) bool {
	words, err := config.SplitShellWords(script)
	if _, ok := ScriptArgs(script); !ok || err != nil {
		return false
	}
	_, err = exec.LookPath(words[0])
	return err != nil
}

// ScriptArgs splits a configured secondary_check_script into its words
// when it names masterha_secondary_check (by bare name or path); ok is
// false for any other script, and for one the shell must read.
func ScriptArgs(script string) (args []string, ok bool) {
	words, err := config.SplitShellWords(script)
	if err != nil || len(words) == 0 || filepath.Base(words[0]) != Program {
		return nil, false
	}
	return words[1:], true
}
