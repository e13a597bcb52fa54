package pipeline

import (
	"strings"

	"github.com/sgl-project/tpuci/internal/workspace"
)

// RequirePython fails (or skips, locally) when no interpreter was resolved.
func RequirePython(ws *workspace.Workspace) error {
	if ws.Python == "" {
		return &MissingTool{Tool: "python", Install: "export TPUCI_PYTHON=/path/to/python (or run scripts/bootstrap.sh to create .venv)"}
	}
	return nil
}

func InstallHint(python, module, debian string) string {
	if strings.HasPrefix(python, "/usr/bin/") {
		return "apt-get install " + debian
	}
	return python + " -m pip install " + module
}
