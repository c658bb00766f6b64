package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sshOptions is what mhago's own SSH client takes from MHA's ssh_options,
// an OpenSSH command-line fragment that MHA pasted into its ssh commands.
// The whole string still goes to the hooks as --ssh_options.
type sshOptions struct {
	identityFiles  []string
	port           int
	connectTimeout time.Duration
	// ignored lists the options the native client does not apply, each
	// with the mhago key to use instead when there is one.
	ignored []string
}

// parseSSHOptions reads the options an MHA setup typically passes: -i,
// -p, and -o IdentityFile/Port/ConnectTimeout. Options that only change
// OpenSSH's behaviour (-q, BatchMode, ServerAlive*, Control*) and options
// mhago refuses to honour (turning off host key checking) are returned in
// ignored. A malformed fragment is an error.
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
		case "-o":
			err = o.setOption(val)
		default:
			o.ignored = append(o.ignored, a)
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
	case "connecttimeout":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return fmt.Errorf("ConnectTimeout %q is not a number of seconds", val)
		}
		o.connectTimeout = time.Duration(n) * time.Second
	case "stricthostkeychecking":
		o.ignored = append(o.ignored, "-o "+kv+" (mhago always verifies host keys; ssh_accept_unknown_host_keys=1 trusts new hosts on first use)")
	case "userknownhostsfile":
		o.ignored = append(o.ignored, "-o "+kv+" (set ssh_known_hosts_file instead)")
	default:
		o.ignored = append(o.ignored, "-o "+kv)
	}
	return nil
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
