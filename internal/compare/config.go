package compare

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgl-project/tpuci/internal/config"
)

// BaseConfig is the configuration the base revision runs with: its own
// copy of the head's config file when the file lives in the repository
// (so server arguments and kernels are the base's), else the head's.
// note says which was used.
func BaseConfig(repo string, head *config.Config, b *Base) (c *config.Config, note string, err error) {
	rel, err := filepath.Rel(repo, head.Source)
	if head.Source == config.DefaultSource || !filepath.IsAbs(head.Source) || err != nil || strings.HasPrefix(rel, "..") {
		return head, "the base runs with the same configuration (" + head.Source + ")", nil
	}
	path := filepath.Join(b.Root, rel)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return head, fmt.Sprintf("%s has no %s: the base runs with the working tree's", b.Describe(), rel), nil
	}
	c, err = config.Load(path)
	if err == nil {
		err = c.CheckPaths(b.Root) // the base runs the scripts it names
	}
	if err != nil {
		return nil, "", fmt.Errorf("compare: the base's configuration: %w", err)
	}
	return c, "the base runs with its own " + rel, nil
}
