// Package needs lets a test declare what it cannot run without: a tool on
// PATH, an interpreter at a fixed path, a Python module, a service. On a
// developer machine that lacks it the test is skipped with the reason; under
// CI=true it fails, so a CI run cannot pass by skipping.
package needs

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
)

// InCI reports whether the tests run under CI=true, where nothing may be
// missing.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips t with why, or fails it under CI=true.
func Missing(t testing.TB, why any) {
	t.Helper()
	if InCI() {
		t.Fatalf("%v (CI=true: a missing tool fails the test)", why)
		return
	}
	t.Skip(why)
}

// Tool returns the path of name on PATH (or of the absolute path name),
// or ends the test through Missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, fmt.Sprintf("%s not installed", name))
	}
	return path
}

// FirstTool returns the first of names found, or ends the test through
// Missing.
func FirstTool(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if path, err := exec.LookPath(n); err == nil {
			return path
		}
	}
	Missing(t, fmt.Sprintf("none of %v installed", names))
	return ""
}

// PythonModules ends the test through Missing unless python imports every
// module; hint says how to install them.
func PythonModules(t testing.TB, python, hint string, modules ...string) {
	t.Helper()
	for _, m := range modules {
		probe := proc.Cmd{Argv: []string{python, "-c", "import " + m}, Timeout: time.Minute}
		if _, err := proc.Run(context.Background(), probe); err != nil {
			Missing(t, fmt.Sprintf("%s lacks the Python module %s (%s)", python, m, hint))
		}
	}
}

// RegistryAddr is the loopback registry scripts/ci-services.sh starts.
const RegistryAddr = "127.0.0.1:5000"

// RegistryUp reports whether the registry on RegistryAddr answers.
func RegistryUp() bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + RegistryAddr + "/v2/")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
