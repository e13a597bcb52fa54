package datastore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Records is a directory of records of one kind (Kind names them in
// errors): one JSON file per record, so that concurrent jobs, and their
// pushes to a data repository, never edit the same file.
type Records[T any] struct {
	Root string
	Kind string
}

// Key names a record's file: when it was made, of which commit, by what.
// Names sort by date first.
type Key struct {
	Date           time.Time
	Commit, Target string
}

func (k Key) name() string {
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	commit := k.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return fmt.Sprintf("%s-%s-%s-%s.json", k.Date.UTC().Format("20060102T150405.000Z"),
		safe(commit), safe(k.Target), hex.EncodeToString(nonce[:]))
}

// safe keeps a name part to one path element of portable characters.
func safe(s string) string {
	if s == "" {
		return "none"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ':' || r == ' ' || r == '\\' || r == '.' {
			return '_'
		}
		return r
	}, s)
}

// Add writes a record, whole or not at all: it is renamed into place.
func (d Records[T]) Add(k Key, r T) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: encode record: %w", d.Kind, err)
	}
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return fmt.Errorf("%s: create %s: %w", d.Kind, d.Root, err)
	}
	name := k.name()
	tmp := filepath.Join(d.Root, "."+name)
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: write %s: %w", d.Kind, tmp, err)
	}
	return os.Rename(tmp, filepath.Join(d.Root, name))
}

// All reads every record in the order of their names (date first),
// rejecting one that check refuses. A missing directory holds none; an
// unreadable or refused record is an error naming its file.
func (d Records[T]) All(check func(*T) error) ([]T, error) {
	entries, err := os.ReadDir(d.Root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", d.Kind, d.Root, err)
	}
	var out []T
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(d.Root, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Kind, err)
		}
		var r T
		err = json.Unmarshal(data, &r)
		if err == nil && check != nil {
			err = check(&r)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w (delete the file to drop the record)", d.Kind, path, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Add writes a record to sub (the records of one kind) in the local
// store and, when there is one, in the data repository.
func (s *Store) Add(ctx context.Context, sub, msg string, add func(dir string) error) error {
	if err := add(filepath.Join(s.Local, sub)); err != nil {
		return err
	}
	return s.Update(ctx, msg, func(dir string) error { return add(filepath.Join(dir, sub)) })
}
