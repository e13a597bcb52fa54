package failclass

import (
	"fmt"
	"regexp"
	"strings"
)

// Rule recognises an infrastructure failure in a failed attempt's log:
// the machine, the runner or the network failed, not the code under
// test. Rules are tried in table order; the first match wins.
type Rule struct {
	Name    string
	Pattern *regexp.Regexp
	Meaning string
}

// Rules are the infrastructure rules. They match what the runtime or
// tpuci prints, never what a crashed server under test prints to its
// clients ("connection refused" is a bug as often as it is the network),
// and an accelerator's own out-of-memory is no infrastructure: a change
// can cause it.
var Rules = []Rule{
	{"chip-lock-lost", regexp.MustCompile(`host lock: (the TPUs are in use by|lock .* lost)`),
		"tpuci's host lock on the chips was lost or held by another run"},
	{"device-busy", regexp.MustCompile(`(?i)(TPU is already in use by process|TPU initialization failed|` +
		`Failed to open libtpu|/dev/(accel|vfio)\S* .*(Device or resource busy|EBUSY))`),
		"the accelerator was busy or failed to initialise"},
	{"host-oom", regexp.MustCompile(`(?i)(Out of memory: Killed process|oom-kill|` +
		`\bCannot allocate memory\b|^MemoryError\b|\bMemoryError: )`),
		"the host ran out of memory (HBM's RESOURCE_EXHAUSTED is not this rule)"},
	{"runner-lost", regexp.MustCompile(`(?i)(The runner has received a shutdown signal|` +
		`lost communication with the server|The self-hosted runner: .* lost)`),
		"the CI runner went away or was preempted"},
	{"server-not-ready", regexp.MustCompile(`server \S+: (not ready within|exited before it was ready)`),
		"a model server never answered its readiness probe"},
	{"download", regexp.MustCompile(`(?i)(Max retries exceeded with url|Temporary failure in name resolution|` +
		`(Read|Connect) timed out|HTTP Error 50[234]|50[234] (Server Error|Service Unavailable|Bad Gateway)|` +
		`huggingface_hub.errors.(LocalEntryNotFoundError|HfHubHTTPError)|ConnectionResetError: \[Errno 104\])`),
		"a download from a package index, model hub or registry failed"},
	{"exit-10", nil, "the process exited 10: a case runner reported an infrastructure error"},
}

// MatchInfra finds the first rule whose pattern matches a line of log, or
// the exit code 10 convention; it returns the rule and the matched line.
func MatchInfra(log string, exitCode int) (Rule, string, bool) {
	for _, r := range Rules {
		if r.Pattern == nil {
			continue
		}
		for _, line := range strings.Split(log, "\n") {
			if r.Pattern.MatchString(line) {
				return r, strings.TrimSpace(line), true
			}
		}
	}
	if exitCode == CodeInfra {
		return Rules[len(Rules)-1], fmt.Sprintf("exit code %d", exitCode), true
	}
	return Rule{}, "", false
}

// RulesMarkdown renders the rules for the README.
func RulesMarkdown() string {
	var b strings.Builder
	b.WriteString("| rule | recognised by | meaning |\n|---|---|---|\n")
	for _, r := range Rules {
		pat := "exit code 10"
		if r.Pattern != nil {
			pat = "`" + strings.ReplaceAll(r.Pattern.String(), "|", `\|`) + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Name, pat, r.Meaning)
	}
	return b.String()
}
