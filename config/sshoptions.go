package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HostKeyPolicy is what mhago does with an SSH host key missing from
// known_hosts. A changed key is refused under every policy.
type HostKeyPolicy string

const (
	// HostKeyRefuseUnknown refuses a host whose key is not in known_hosts
	// (OpenSSH StrictHostKeyChecking=yes, and "ask" in batch mode).
	HostKeyRefuseUnknown HostKeyPolicy = "yes"
	// HostKeyAcceptNew records an unknown key and refuses a changed one
	// (OpenSSH accept-new). StrictHostKeyChecking=no maps here too: OpenSSH
	// would also connect to a host whose key changed, which mhago, sending
	// commands as root and passwords to hooks, never does.
	HostKeyAcceptNew HostKeyPolicy = "accept-new"
)

// sshOptions is what mhago's own SSH client takes from MHA's ssh_options,
// an OpenSSH command-line fragment that MHA pasted into its ssh commands.
// The whole string still goes to the hooks as --ssh_options.
type sshOptions struct {
	identityFiles  []string
	port           int
	user           string
	connectTimeout time.Duration
	// knownHostsFile is UserKnownHostsFile's first file; "" when unset or
	// when it named /dev/null (see notes).
	knownHostsFile string
	// hostKeyPolicy is StrictHostKeyChecking's meaning; "" when unset.
	hostKeyPolicy HostKeyPolicy
	// notes lists what the native client does not apply: options that only
	// tune OpenSSH, each with why nothing is lost or what to set instead.
	notes []string
}

// parseSSHOptions reads the options MHA setups pass: -i, -p, -l and
// -o IdentityFile/Port/User/ConnectTimeout/UserKnownHostsFile/
// StrictHostKeyChecking. Options that only change OpenSSH's behaviour
// (-q, BatchMode, ServerAlive*, Control*, LogLevel, ...) are returned in
// notes. A malformed fragment is an error.
func parseSSHOptions(s string) (sshOptions, error) {
	args, err := splitShellWords(s)
	if err != nil {
		return sshOptions{}, err
	}
	var o sshOptions
	for i := 0; i < len(args); i++ {
		a := args[i]
		flag, val, needsVal := optionFlag(a)
		if needsVal && val == "" {
			if i+1 >= len(args) {
				return sshOptions{}, fmt.Errorf("%s needs a value", a)
			}
			i++
			val = args[i]
		}
		switch flag {
		case "-i":
			o.identityFiles = append(o.identityFiles, val)
		case "-p":
			err = o.setPort(val)
		case "-l":
			o.user = val
		case "-o":
			err = o.setOption(val)
		default:
			o.notes = append(o.notes, strings.TrimSpace(a+" "+val)+" (tunes OpenSSH only)")
		}
		if err != nil {
			return sshOptions{}, err
		}
	}
	return o, nil
}

// optionFlag splits "-ifile" into "-i", "file"; needsVal marks the OpenSSH
// flags that take an argument.
func optionFlag(a string) (flag, val string, needsVal bool) {
	if len(a) < 2 || a[0] != '-' {
		return a, "", false
	}
	flag, val = a[:2], a[2:]
	return flag, val, strings.ContainsRune("bBcDEeFIiJLlmOopQRSWw", rune(a[1]))
}

func (o *sshOptions) setPort(v string) error {
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", v)
	}
	o.port = p
	return nil
}

// setOption applies one -o "Key=Value" or "Key Value".
func (o *sshOptions) setOption(kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		key, val, _ = strings.Cut(kv, " ")
	}
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	switch strings.ToLower(key) {
	case "identityfile":
		o.identityFiles = append(o.identityFiles, val)
	case "port":
		return o.setPort(val)
	case "user":
		o.user = val
	case "connecttimeout":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return fmt.Errorf("ConnectTimeout %q is not a number of seconds", val)
		}
		o.connectTimeout = time.Duration(n) * time.Second
	case "stricthostkeychecking":
		return o.setHostKeyPolicy(val)
	case "userknownhostsfile":
		o.setKnownHosts(kv, val)
	default:
		o.notes = append(o.notes, "-o "+kv+" (tunes OpenSSH only)")
	}
	return nil
}

// setHostKeyPolicy maps StrictHostKeyChecking onto mhago's policies.
func (o *sshOptions) setHostKeyPolicy(v string) error {
	switch strings.ToLower(v) {
	case "yes", "ask":
		o.hostKeyPolicy = HostKeyRefuseUnknown
	case "accept-new":
		o.hostKeyPolicy = HostKeyAcceptNew
	case "no", "off":
		o.hostKeyPolicy = HostKeyAcceptNew
		o.notes = append(o.notes, "-o StrictHostKeyChecking="+v+
			" is applied as accept-new: unknown host keys are recorded, a changed key is still refused")
	default:
		return fmt.Errorf("StrictHostKeyChecking %q is not yes, accept-new, no or ask", v)
	}
	return nil
}

// setKnownHosts takes UserKnownHostsFile's first file. /dev/null, written
// to silence OpenSSH, would make every key unknown and so accepted: mhago
// keeps its own known_hosts file instead.
func (o *sshOptions) setKnownHosts(kv, v string) {
	files := strings.Fields(v)
	switch {
	case len(files) == 0:
	case files[0] == "/dev/null":
		o.notes = append(o.notes, "-o "+kv+" is not applied: host keys are still checked against ssh_known_hosts_file")
	default:
		o.knownHostsFile = files[0]
		if len(files) > 1 {
			o.notes = append(o.notes, "-o "+kv+": only the first file, "+files[0]+", is read and written")
		}
	}
}

// splitShellWords splits on blanks, honouring single and double quotes and
// backslash escapes, as the shell MHA ran its ssh commands through did.
func splitShellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
