package nightly

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sgl-project/tpuci/internal/nightly/history"
	"github.com/sgl-project/tpuci/internal/notify"
	"github.com/sgl-project/tpuci/internal/pipeline"
	"github.com/sgl-project/tpuci/internal/workspace"
)

// Stream is the nightly's notification stream.
const Stream = "nightly"

// tellNight posts to TPUCI_NOTIFY_WEBHOOK when a complete scheduled night
// turns the nightly red, or green again, naming its failed and regressed
// cases; a failed post is a warning.
func tellNight(ctx context.Context, ws *workspace.Workspace, st *pipeline.Stage, stores nightStores, meta Meta, s *history.Status) {
	title := "the nightly"
	if repo := ws.Settings.GitHub.Repository; repo != "" {
		title += " of " + repo
	}
	failed := slices.Clone(s.FailedCases)
	for _, r := range s.Regressions {
		failed = append(failed, r.Case+" ("+r.Metric+" regressed)")
	}
	r := notify.Run{Stream: Stream, Title: title, Commit: meta.Commit, RunURL: meta.RunURL, Red: s.Status != history.Healthy,
		Failed: failed, Date: time.Now()}
	did, err := notify.Tell(ctx, stores.Store, st.Log, notify.Poster{URL: ws.Settings.NotifyWebhook.Reveal()}, r)
	if did != "" {
		fmt.Fprintf(st.Log, "    %s\n", did)
	}
	if err != nil {
		fmt.Fprintf(st.Log, "    warning: %v\n", err)
	}
}
