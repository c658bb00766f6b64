package remote

import "strings"

// ShellQuote quotes s for a POSIX shell. Words made only of characters no
// shell treats specially are returned as is, to keep logged commands readable.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if isShellSafe(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isShellSafe(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("@%+:,./_-", r):
		default:
			return false
		}
	}
	return true
}

// Command builds a shell command line from argv, quoting every word, so
// the remote shell runs exactly argv whatever the words contain.
func Command(argv ...string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = ShellQuote(a)
	}
	return strings.Join(words, " ")
}
