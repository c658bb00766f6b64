package config

import (
	"sort"
	"strings"
)

// scope says where a key may appear and how it is inherited.
type scope int

const (
	// scopeBlock keys belong to one [serverN]/[binlogN] block and are never
	// inherited (MHA ignores them in [server default]).
	scopeBlock scope = iota + 1
	// scopeServer keys are per server and inherited:
	// global [server default] -> app [server default] -> server block.
	scopeServer
	// scopeApp keys have one value for the whole application, taken from
	// [server default]. MHA stores them on every server object and reads
	// them from a particular one (the dead master, the first server, ...):
	// see perServerKeys and firstServerKeys in build.go for how a block's
	// own value is used. mhago's own scopeApp keys may be repeated in a
	// block only with the same value.
	scopeApp
)

// keyDef describes one configuration key. def is the default written as it
// would be in the file, so defaults go through the same parsing as values.
type keyDef struct {
	scope scope
	def   string
	mha   bool // false: mhago-only key
}

// Defaults that depend on the current user; "~" is expanded at load time.
const (
	defaultSSHKeyFiles    = "~/.ssh/id_ed25519,~/.ssh/id_rsa"
	defaultKnownHostsFile = "~/.ssh/known_hosts"
)

var keyDefs = map[string]keyDef{
	// MHA 0.58, per block only.
	"hostname":            {scopeBlock, "", true},
	"ip":                  {scopeBlock, "", true},
	"ssh_host":            {scopeBlock, "", true},
	"ssh_ip":              {scopeBlock, "", true},
	"node_label":          {scopeBlock, "", true},
	"candidate_master":    {scopeBlock, "0", true},
	"no_master":           {scopeBlock, "0", true},
	"ignore_fail":         {scopeBlock, "0", true},
	"skip_init_ssh_check": {scopeBlock, "0", true},

	// MHA 0.58, per server, inherited.
	"port":                   {scopeServer, "3306", true},
	"ssh_port":               {scopeServer, "22", true},
	"ssh_connection_timeout": {scopeServer, "5", true},
	"ssh_options":            {scopeServer, "", true},
	"skip_reset_slave":       {scopeServer, "0", true},
	"user":                   {scopeServer, "root", true},
	"password":               {scopeServer, "", true},
	"repl_user":              {scopeServer, "", true},
	"repl_password":          {scopeServer, "", true},
	"disable_log_bin":        {scopeServer, "0", true},
	"handle_raw_binlog":      {scopeServer, "1", true},
	"master_pid_file":        {scopeServer, "", true},
	"ssh_user":               {scopeServer, "", true},
	"remote_workdir":         {scopeServer, "/var/tmp", true},
	"master_binlog_dir":      {scopeServer, "/var/lib/mysql,/var/log/mysql", true},
	"client_bindir":          {scopeServer, "", true},
	"client_libdir":          {scopeServer, "", true},

	// MHA 0.58, application level.
	"log_level":                      {scopeApp, "info", true},
	"manager_workdir":                {scopeApp, "/var/tmp", true},
	"manager_log":                    {scopeApp, "", true},
	"check_repl_delay":               {scopeApp, "1", true},
	"check_repl_filter":              {scopeApp, "1", true},
	"latest_priority":                {scopeApp, "1", true},
	"multi_tier_slave":               {scopeApp, "0", true},
	"ping_interval":                  {scopeApp, "3", true},
	"ping_type":                      {scopeApp, "SELECT", true},
	"secondary_check_script":         {scopeApp, "", true},
	"master_ip_failover_script":      {scopeApp, "", true},
	"master_ip_online_change_script": {scopeApp, "", true},
	"shutdown_script":                {scopeApp, "", true},
	"report_script":                  {scopeApp, "", true},
	"init_conf_load_script":          {scopeApp, "", true},
	"use_gtid_auto_pos":              {scopeApp, "1", true},

	// mhago only, per server.
	"password_file":      {scopeServer, "", false},
	"repl_password_file": {scopeServer, "", false},
	"vip_interface":      {scopeServer, "", false},

	// mhago only, application level.
	"cluster_id":                   {scopeApp, "", false},
	"redis_address":                {scopeApp, "", false},
	"redis_password":               {scopeApp, "", false},
	"redis_password_file":          {scopeApp, "", false},
	"redis_db":                     {scopeApp, "0", false},
	"redis_key_prefix":             {scopeApp, "mhago", false},
	"redis_mode":                   {scopeApp, "single", false},
	"redis_sentinel_master":        {scopeApp, "", false},
	"redis_username":               {scopeApp, "", false},
	"redis_sentinel_username":      {scopeApp, "", false},
	"redis_sentinel_password":      {scopeApp, "", false},
	"redis_sentinel_password_file": {scopeApp, "", false},
	"redis_lock_replicas":          {scopeApp, "", false},
	"redis_tls":                    {scopeApp, "0", false},
	"redis_tls_ca_file":            {scopeApp, "", false},
	"redis_tls_cert_file":          {scopeApp, "", false},
	"redis_tls_key_file":           {scopeApp, "", false},
	"redis_tls_server_name":        {scopeApp, "", false},
	"lock_ttl":                     {scopeApp, "30s", false},
	"ssh_key_file":                 {scopeApp, defaultSSHKeyFiles, false},
	"ssh_use_agent":                {scopeApp, "1", false},
	"ssh_known_hosts_file":         {scopeApp, defaultKnownHostsFile, false},
	"ssh_accept_unknown_host_keys": {scopeApp, "0", false},
	"ssh_command_timeout":          {scopeApp, "60s", false},
	"mysql_connect_timeout":        {scopeApp, "4s", false},
	"mysql_read_timeout":           {scopeApp, "30s", false},
	"check_timeout":                {scopeApp, "60s", false},
	"phase_timeout":                {scopeApp, "10m", false},
	"agent_path":                   {scopeApp, "", false},
	"hook_password_args":           {scopeApp, "0", false},
	"vip":                          {scopeApp, "", false},
	"config_version":               {scopeApp, "0", false},
}

// BuiltinSecondaryCheck is MHA's reference secondary_check_script, which
// mhago runs itself (package secondary) when no such program is on PATH.
const BuiltinSecondaryCheck = "masterha_secondary_check"

// KnownKeys returns every accepted key name, sorted.
func KnownKeys() []string {
	names := make([]string, 0, len(keyDefs))
	for k := range keyDefs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// suggestKey returns the known key nearest to an unknown one, or "" when
// nothing is close enough to be a plausible typo.
func suggestKey(unknown string) string {
	best, bestDist := "", len(unknown)/3+2
	for _, k := range KnownKeys() {
		if d := levenshtein(strings.ToLower(unknown), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// levenshtein is the edit distance between a and b (bytes; keys are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
