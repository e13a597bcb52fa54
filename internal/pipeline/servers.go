package pipeline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sgl-project/tpuci/internal/compiles"
	"github.com/sgl-project/tpuci/internal/report"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Servers is the model-server manager of a stage. Every server of every
// stage (perf, accuracy, nightly, and a compare's base checkout) starts
// with the same options: the workspace's environment and chips, the
// stage's progress log, and TPUCI_SERVER_ARGS after each profile's args.
// repo is the checkout the server runs in; its logs go to logDir.
func Servers(ws *workspace.Workspace, st *Stage, repo, logDir string) *server.Manager {
	return server.NewManager(ServerOptions(ws, st, repo, logDir))
}

// ServerOptions are the options Servers starts a stage's servers with.
func ServerOptions(ws *workspace.Workspace, st *Stage, repo, logDir string) server.Options {
	cwd, _ := os.Getwd()
	_ = os.MkdirAll(logDir, 0o755)
	return server.Options{
		Repo:      repo,
		Python:    ws.Python,
		LogDir:    logDir,
		Env:       ws.Env(),
		ChipEnv:   ws.Chips.Env,
		BinDir:    filepath.Join(ws.Out, "bin"),
		ModelDir:  filepath.Join(ws.Out, "models"),
		BuildDir:  cwd,
		Log:       st.Log,
		ExtraArgs: ws.Settings.ServerArgs,
		Compiles:  serverHook(ws, st, logDir),
	}
}

// serverHook installs the compile-accounting hook of the servers that log
// to logDir, under $TPUCI_OUT/compiles/servers/ (one directory per stage
// and side of a comparison), clearing an earlier run's records. Without
// it the servers run uncounted, with a warning.
func serverHook(ws *workspace.Workspace, st *Stage, logDir string) *compiles.Hook {
	rel, err := filepath.Rel(filepath.Join(ws.Out, "logs"), logDir)
	if err != nil || !filepath.IsLocal(rel) {
		rel = st.Target
	}
	dir := filepath.Join(ws.Out, "compiles", "servers", rel)
	if err = os.RemoveAll(dir); err == nil {
		var h *compiles.Hook
		if h, err = compiles.Install(dir, ws.Getenv("PYTHONPATH")); err == nil {
			return h
		}
	}
	fmt.Fprintln(st.Log, report.Fit(fmt.Sprintf("    warning: servers run without compile accounting: %v", err)))
	return nil
}
