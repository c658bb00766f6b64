package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// jsonKeys lists every key a value of type t can put in a JSON document,
// as path.key, following structs, pointers, slices and embedded fields
// (also the keys omitempty leaves out of a given sample).
func jsonKeys(t reflect.Type, path string, seen map[reflect.Type]bool, out *[]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() || seen[t] {
		return
	}
	seen[t] = true
	defer delete(seen, t)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case f.Anonymous && name == "":
			jsonKeys(f.Type, path, seen, out)
			continue
		case name == "":
			name = f.Name
		}
		*out = append(*out, path+name)
		jsonKeys(f.Type, path+name+".", seen, out)
	}
}

// Every key of every document and event mhago prints with --json is
// snake_case, exit_code and status included at the top.
func TestJSONDocumentsAreSnakeCase(t *testing.T) {
	for _, v := range []any{runDocument{}, cronDocument{}, errorDocument{}, validateResult{}, phaseJSON{}, progressJSON{}, versionInfo{}, pushResult{}, pullResult{}} {
		var keys []string
		jsonKeys(reflect.TypeOf(v), "", map[reflect.Type]bool{}, &keys)
		if len(keys) < 5 {
			t.Fatalf("%T: only %v: the walk found nothing to check", v, keys)
		}
		top := map[string]bool{}
		for _, k := range keys {
			if !strings.Contains(k, ".") {
				top[k] = true
			}
			last := k[strings.LastIndex(k, ".")+1:]
			if !snakeCase.MatchString(last) {
				t.Errorf("%T: key %s is not snake_case", v, k)
			}
		}
		if _, isEvent := v.(phaseJSON); !isEvent {
			if _, isEvent = v.(progressJSON); !isEvent && (!top["exit_code"] || !top["status"]) {
				t.Errorf("%T: no exit_code or status at the top: %v", v, keys)
			}
		}
	}
}

// A usage error or an unreadable config still prints one document with
// --json, whose exit_code is the process's.
func TestErrorsBeforeADocumentPrintOne(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status string
	}{
		{[]string{"check", "--json", "--max-lag", "soon"}, statusUsageError},
		{[]string{"fialover", "--json"}, statusUsageError},
		{[]string{"check", "--json", "--conf", "/nonexistent/app.cnf"}, statusConfigError},
		{[]string{"failover", "--json", "--conf", "/nonexistent/app.cnf"}, statusConfigError},
		{[]string{"switchover", "--json"}, statusUsageError},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"mhago"}, tc.args...), &out, &errb)
		dec := json.NewDecoder(&out)
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%v: stdout is not JSON: %v\n%s", tc.args, err, out.String())
		}
		if dec.More() {
			t.Errorf("%v: more than one document on stdout", tc.args)
		}
		if doc["exit_code"] != float64(code) || doc["status"] != tc.status || code != exitConfig || doc["error"] == "" {
			t.Errorf("%v: exit %d, document %v; want status %s", tc.args, code, doc, tc.status)
		}
	}
}
