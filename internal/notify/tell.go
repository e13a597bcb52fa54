package notify

import (
	"context"
	"fmt"
	"io"

	"github.com/sgl-project/tpuci/internal/datastore"
)

// Tell folds a run into its stream's stored state, posts the message a
// change of state calls for, and saves the state. The posted state
// advances only when the post succeeded, so the next run tries again. It
// returns what it did, in one line, and a warning (a failed post or
// store) that must not fail the run.
func Tell(ctx context.Context, st *datastore.Store, log io.Writer, p Poster, r Run) (string, error) {
	if p.URL == "" {
		return "notify: no webhook (TPUCI_NOTIFY_WEBHOOK): nothing posted", nil
	}
	prev, where, err := Load(ctx, st, log, r.Stream)
	if err != nil {
		return "", err
	}
	if st.Git == nil {
		fmt.Fprintf(log, "notify: no data repository (TPUCI_NIGHTLY_GIT): %s's state is kept in %s only\n", r.Stream, st.Local)
	}
	next, msg := Next(prev, r)
	var done string
	var warn error
	if msg == nil {
		done = fmt.Sprintf("notify: %s is %s at %s, as last posted: no message", r.Stream, next.State, short(r.Commit))
	} else if err := p.Post(ctx, msg); err != nil {
		warn = err
		done = fmt.Sprintf("notify: %s turned %s at %s: the message was not posted", r.Stream, next.State, short(r.Commit))
	} else {
		next.Posted = next.State
		done = fmt.Sprintf("notify: %s turned %s at %s: posted", r.Stream, next.State, short(r.Commit))
	}
	if err := Save(ctx, st, next); err != nil && warn == nil {
		warn = fmt.Errorf("notify: save %s's state (read from %s): %w", r.Stream, where, err)
	}
	return done, warn
}
