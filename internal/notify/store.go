package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/sgl-project/tpuci/internal/datastore"
	"github.com/sgl-project/tpuci/internal/report"
)

// Subdir is the states' directory in the history store.
const Subdir = "notify"

var streamName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// file is a stream's state file under dir.
func file(dir, stream string) (string, error) {
	if !streamName.MatchString(stream) {
		return "", fmt.Errorf("notify: stream %q: want a short lower-case name", stream)
	}
	return filepath.Join(dir, stream+".json"), nil
}

// Load reads a stream's state from the shared history (the data
// repository's when there is one) and names where; a stream never
// recorded is the zero State.
func Load(ctx context.Context, st *datastore.Store, log io.Writer, stream string) (State, string, error) {
	dir, where := st.Read(ctx, log, Subdir)
	path, err := file(dir, stream)
	if err != nil {
		return State{}, where, err
	}
	s, err := read(path)
	return s, where, err
}

func read(path string) (State, error) {
	var s State
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("notify: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("notify: %s: %w (delete it to start the stream afresh)", path, err)
	}
	return s, nil
}

// Save writes a stream's state to the local store and to the data
// repository.
func Save(ctx context.Context, st *datastore.Store, s State) error {
	path, err := file(filepath.Join(st.Local, Subdir), s.Stream)
	if err != nil {
		return err
	}
	if err := report.WriteJSON(path, s); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	msg := fmt.Sprintf("notify: %s is %s at %s (posted: %s)", s.Stream, s.State, short(s.Commit), s.Posted)
	return st.Update(ctx, msg, func(dir string) error {
		p, err := file(filepath.Join(dir, Subdir), s.Stream)
		if err != nil {
			return err
		}
		return report.WriteJSON(p, s)
	})
}
