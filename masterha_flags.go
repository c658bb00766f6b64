package main

import (
	"fmt"
	"strconv"
	"strings"
)

// optKind is how MHA's Getopt::Long spec declares an option: a flag, an
// integer (=i), a string (=s) or a repeatable string (=s with an array).
type optKind int

const (
	optBool optKind = iota
	optInt
	optString
	optStrings
)

// mhaOpts is one MHA command's options by name (lower case, as
// Getopt::Long matches them case-insensitively).
type mhaOpts map[string]optKind

// mhaArgs is an MHA command line as Getopt::Long with pass_through leaves
// it: the known options' values in order, the unknown options, and the
// words that are no option.
type mhaArgs struct {
	vals    map[string][]string
	unknown []string
	words   []string
}

// has tells whether the option was given.
func (a mhaArgs) has(name string) bool { return len(a.vals[name]) > 0 }

// str is the option's last value ("" when not given), as Getopt::Long's
// scalar targets keep the last one.
func (a mhaArgs) str(name string) string {
	v := a.vals[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// flag is a boolean option's value: given without a value or with a
// non-zero one.
func (a mhaArgs) flag(name string) bool {
	return a.has(name) && a.str(name) != "0"
}

// parseMHAArgs reads args as MHA 0.58's Getopt::Long does: "--name=value",
// "--name value", one dash as well as two, "--" ending the options.
// Unknown options are kept (MHA's tools pass them through); a value that
// follows one is a word. A missing or non-integer value of a known option
// is an error.
func parseMHAArgs(opts mhaOpts, args []string) (mhaArgs, error) {
	a := mhaArgs{vals: map[string][]string{}}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			a.words = append(a.words, args[i+1:]...)
			break
		}
		name, val, hasVal, isOpt := splitOption(arg)
		if !isOpt {
			a.words = append(a.words, arg)
			continue
		}
		kind, known := opts[name]
		if !known {
			a.unknown = append(a.unknown, arg)
			continue
		}
		if kind == optBool {
			if !hasVal {
				val = "1"
			}
			if val != "0" && val != "1" {
				return a, fmt.Errorf("option --%s takes no value or 0 or 1, not %q", name, val)
			}
			a.vals[name] = append(a.vals[name], val)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return a, fmt.Errorf("option --%s requires a value", name)
			}
			i++
			val = args[i]
		}
		if kind == optInt {
			if _, err := strconv.Atoi(val); err != nil {
				return a, fmt.Errorf("value %q invalid for option --%s (number expected)", val, name)
			}
		}
		a.vals[name] = append(a.vals[name], val)
	}
	return a, nil
}

// splitOption splits "--name=value" and "-name"; a lone "-" and words
// are no option.
func splitOption(arg string) (name, val string, hasVal, isOpt bool) {
	if len(arg) < 2 || arg[0] != '-' {
		return "", "", false, false
	}
	s := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if s == "" {
		return "", "", false, false
	}
	name, val, hasVal = strings.Cut(s, "=")
	return strings.ToLower(name), val, hasVal, true
}
