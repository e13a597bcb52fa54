package simserver

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestStampChunks(t *testing.T) {
	cfg, err := ParseArgs([]string{"--sim-stamp-chunks"}, io.Discard)
	if err != nil || !cfg.StampChunks {
		t.Fatalf("flag not parsed: %v %+v", err, cfg.StampChunks)
	}
	it := &genItem{req: newRequest(1, 1, nil), rid: "r", created: time.Now(), stamp: true}
	out := it.appendNative(nil, false, -1)
	if !bytes.Contains(out, []byte(`,"ts":`)) || !strings.HasSuffix(string(out), "}") {
		t.Fatalf("no ts in %s", out)
	}
	it.stamp = false
	if bytes.Contains(it.appendNative(nil, false, -1), []byte(`"ts"`)) {
		t.Fatal("ts written without the flag")
	}
}
