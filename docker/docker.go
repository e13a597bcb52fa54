// Package docker holds the images tpuci itself defines, embedded in the
// binary: sglang-jax-tpu, the SGLang-JAX TPU image, used by
// release:docker when a repository brings no Dockerfile of its own. (The
// base for machines that cannot pull one is built from Debian's packages:
// internal/release/debbase.)
package docker

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed all:sglang-jax-tpu
var files embed.FS

// Recipe names.
const (
	SGLangJAXTPU = "sglang-jax-tpu"
)

// Recipe is one image definition.
type Recipe struct {
	Name         string
	Dockerfile   []byte
	DockerIgnore []byte // nil when the recipe has none
}

// Get returns a recipe by name.
func Get(name string) (Recipe, error) {
	df, err := fs.ReadFile(files, name+"/Dockerfile")
	if err != nil {
		return Recipe{}, fmt.Errorf("docker: unknown image recipe %q (one of %v)", name, Names())
	}
	r := Recipe{Name: name, Dockerfile: df}
	if di, err := fs.ReadFile(files, name+"/.dockerignore"); err == nil {
		r.DockerIgnore = di
	}
	return r, nil
}

// Names lists the recipes.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
