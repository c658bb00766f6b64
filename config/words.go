package config

// SplitShellWords splits a command line into words as a POSIX shell
// would for a plain command (blanks, quotes, backslashes; no expansion):
// how MHA's shell read ssh_options and hook command lines.
func SplitShellWords(s string) ([]string, error) { return splitShellWords(s) }
