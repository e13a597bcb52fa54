// Package srvmap records which checkout modules SGLang-JAX's real server
// loads, per model architecture: it serves each generated model
// (internal/tinymodel) on the CPU with random weights under the depmap
// hook, answers one request, and stores the files the server's processes
// loaded as the depmap entry depmap.ServerKey(arch). A record is kept only
// when the server got ready and answered: a server that died while
// loading the model has not loaded what serving needs.
package srvmap

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/depmap"
	"github.com/sgl-project/tpuci/internal/server"
	"github.com/sgl-project/tpuci/internal/tinymodel"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// cpuArgs are the README's CPU server flags, with one precompiled shape:
// only the imports matter here, not the latencies.
var cpuArgs = []string{"--device", "cpu", "--load-format", "dummy", "--random-seed", "1",
	"--max-total-tokens", "2048", "--max-running-requests", "1", "--chunked-prefill-size", "512",
	"--page-size", "1", "--mem-fraction-static", "0.1",
	"--precompile-token-paddings", "64", "--precompile-bs-paddings", "1"}

// Profile is the launch profile that serves a generated model for a record.
func Profile(model string) *config.Server {
	off := false
	return &config.Server{Name: "depmap-" + model, Model: tinymodel.Scheme + model, TP: 1,
		Env: map[string]string{"JAX_PLATFORMS": "cpu"}, Args: cpuArgs, CacheMiss: &off,
		ReadyTimeout: config.Duration{Duration: 15 * time.Minute}}
}

// Arch is the architecture a generated model's config.json names.
func Arch(m tinymodel.Model) (string, error) {
	var cfg struct {
		Architectures []string `json:"architectures"`
	}
	if err := json.Unmarshal(m.Files["config.json"], &cfg); err != nil || len(cfg.Architectures) != 1 {
		return "", fmt.Errorf("model %s: config.json names no single architecture (%v)", m.Name, err)
	}
	return cfg.Architectures[0], nil
}

// Record serves each generated model (names without the scheme) in turn
// and saves one depmap record of the servers that answered; it returns
// the number of modules per architecture recorded.
func Record(ctx context.Context, ws *workspace.Workspace, log io.Writer, models []string) (map[string]int, error) {
	dir := filepath.Join(ws.Out, "depmap", "server")
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("server map: clear %s: %w", dir, err)
	}
	// The checkout's package first: an interpreter with SGLang-JAX
	// installed from another clone would record none of this one's files.
	pythonPath := filepath.Join(ws.Repo, filepath.Dir(ws.Config.Repo.PackageDir))
	if pp := ws.Config.Env["PYTHONPATH"]; pp != "" {
		pythonPath += string(os.PathListSeparator) + pp
	} else if pp := ws.Getenv("PYTHONPATH"); pp != "" {
		pythonPath += string(os.PathListSeparator) + pp
	}
	hookEnv, err := depmap.Install(dir, ws.Repo, pythonPath)
	if err != nil {
		return nil, fmt.Errorf("server map: %w", err)
	}
	rec := depmap.Record{Commit: ws.Commit, Tests: map[string][]string{}}
	counts := map[string]int{}
	for _, name := range models {
		tm, err := tinymodel.Lookup(tinymodel.Scheme + name)
		if err != nil {
			return nil, fmt.Errorf("server map: %w", err)
		}
		arch, err := Arch(tm)
		if err != nil {
			return nil, fmt.Errorf("server map: %w", err)
		}
		key := depmap.ServerKey(arch)
		if err := serve(ctx, ws, log, Profile(name), append(hookEnv, depmap.TestEnv(key))); err != nil {
			return nil, fmt.Errorf("server map: %s: %w", arch, err)
		}
		got, err := depmap.Collect(dir)
		if err != nil {
			return nil, fmt.Errorf("server map: %w", err)
		}
		if len(got[key]) == 0 {
			return nil, fmt.Errorf("server map: %s: the server loaded no file of %s (is %s importing %s from elsewhere?)",
				arch, ws.Repo, ws.Python, ws.Config.Repo.Package)
		}
		rec.Tests[key] = got[key]
		counts[arch] = len(got[key])
		fmt.Fprintf(log, "depmap:server: %s: the server loaded %d files of the checkout\n", arch, len(got[key]))
	}
	rec.Date = time.Now().UTC()
	if err := depmap.Save(ctx, ws, log, rec); err != nil {
		return nil, fmt.Errorf("server map: save: %w", err)
	}
	return counts, nil
}

// serve starts the profile's server with env, sends one generation and
// stops it after the hook's next write.
func serve(ctx context.Context, ws *workspace.Workspace, log io.Writer, p *config.Server, env []string) error {
	logDir := filepath.Join(ws.Out, "logs", "depmap")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m := server.NewManager(server.Options{Repo: ws.Repo, Python: ws.Python, LogDir: logDir,
		Env: append(ws.Env(), env...), ModelDir: filepath.Join(ws.Out, "models"), Log: log})
	defer m.Close()
	in, err := m.Get(ctx, p)
	if err != nil {
		return fmt.Errorf("serve: start: %w", err)
	}
	fmt.Fprintf(log, "depmap:server: %s ready after %s\n", p.Name, in.Ready.Round(time.Second))
	if err := generate(ctx, in.BaseURL); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	// The hook writes every 2 s; a stopped server may not reach atexit.
	select {
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// generate sends one short generation, so that the serving path's lazy
// imports are loaded too.
func generate(ctx context.Context, base string) error {
	body := []byte(`{"text": "the quick brown fox", "sampling_params": {"max_new_tokens": 4, "temperature": 0}}`)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/generate", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("generate: HTTP %d: %s", resp.StatusCode, out)
	}
	return nil
}
