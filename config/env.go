package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// envRef matches ${NAME}. A bare $NAME is left alone because MHA files
// predate expansion and passwords may contain '$'.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces every ${NAME} in raw; an unset variable is a problem.
func (l *loader) expandEnv(raw string, loc location, key string) string {
	return envRef.ReplaceAllStringFunc(raw, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := l.opts.Getenv(name)
		if !ok {
			l.ps.at(loc, key, fmt.Sprintf("environment variable %s is not set", name),
				fmt.Sprintf("export %s before running mhago, or write the value in the file", name))
		}
		return v
	})
}

// readSecretFile reads a secret from path (relative paths are relative to the
// configuration file). One trailing newline is trimmed, since editors and
// `echo` add it. A file readable by group or others is a warning.
func (l *loader) readSecretFile(path string, loc location, key string) Secret {
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		l.ps.at(loc, key, fmt.Sprintf("cannot read secret file: %v", err),
			"create the file (mode 0600) or fix the path")
		return ""
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		l.warnings.at(loc, key, fmt.Sprintf("secret file %s is readable by group or others (mode %04o)", path, st.Mode().Perm()),
			"chmod 600 "+path)
	}
	s := strings.TrimSuffix(string(data), "\n")
	return Secret(strings.TrimSuffix(s, "\r"))
}
