package eval

import (
	"context"
	"net"
	"testing"

	"github.com/sgl-project/tpuci/internal/simserver"
)

const exampleData = "../example/repo/eval_data"

// startSim serves the simulator in-process on 127.0.0.1.
func startSim(t *testing.T, accuracy float64, seed int64) string {
	t.Helper()
	cfg := simserver.DefaultConfig()
	cfg.EvalDataDir, cfg.Accuracy, cfg.Seed = exampleData, accuracy, seed
	cfg.DecodeStepMs, cfg.PrefillBaseMs, cfg.PrefillMsPer1kTokens = 0.01, 0.01, 0.01
	srv, err := simserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

func runExample(t *testing.T, url, dataset string, n int) *Result {
	t.Helper()
	ds, err := (&Store{DataDir: exampleData}).Load(context.Background(), dataset)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := Lookup(dataset)
	qs, err := Select(task, ds, n, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), task, qs, Options{BaseURL: url, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The simulator answers the example's questions in its own formats; with
// accuracy 1 every answer must be extracted and graded right, with
// accuracy 0 none.
func TestSimulatorAnswersAreExtracted(t *testing.T) {
	perfect := startSim(t, 1, 1)
	hopeless := startSim(t, 0, 1)
	for _, dataset := range []string{"mmlu", "gsm8k", "mmmu"} {
		if res := runExample(t, perfect, dataset, 0); res.Score != 1 || res.Errors != 0 {
			t.Errorf("%s at accuracy 1: score %v, %d errors; first outcome %+v", dataset, res.Score, res.Errors, res.Outcomes[0])
		}
		if res := runExample(t, hopeless, dataset, 0); res.Score != 0 {
			t.Errorf("%s at accuracy 0: score %v", dataset, res.Score)
		}
	}
}

func TestSimulatorScoresAreReproducible(t *testing.T) {
	url := startSim(t, 0.8, 1)
	a := runExample(t, url, "mmlu", 100)
	b := runExample(t, url, "mmlu", 100)
	if a.Score != b.Score || a.Correct != b.Correct {
		t.Fatalf("scores differ run to run: %v vs %v", a.Score, b.Score)
	}
	for i := range a.Outcomes {
		if a.Outcomes[i].Index != b.Outcomes[i].Index || a.Outcomes[i].Correct != b.Outcomes[i].Correct {
			t.Fatalf("outcome %d differs", i)
		}
	}
	if a.Score < 0.6 || a.Score > 0.95 {
		t.Errorf("score %v far from the simulated accuracy 0.8", a.Score)
	}
}

// MMMU questions go out with their images as base64 image_url parts; the
// simulator answers from its key only when the images arrive.
func TestMMMUImagesReachTheServer(t *testing.T) {
	url := startSim(t, 1, 1)
	ds, err := (&Store{DataDir: exampleData}).Load(context.Background(), "mmmu")
	if err != nil {
		t.Fatal(err)
	}
	task, _ := Lookup("mmmu")
	qs, err := Select(task, ds, 100, 0, 0)
	if err != nil || len(qs) != 100 {
		t.Fatalf("select 100 of %d: %v", len(ds.Examples), err)
	}
	twoImages := 0
	for _, q := range qs {
		if len(q.Images) == 2 {
			twoImages++
		}
	}
	res, err := Run(context.Background(), task, qs, Options{BaseURL: url, Concurrency: 8})
	if err != nil || res.Score != 1 || twoImages == 0 {
		t.Fatalf("with images: score %v, %d two-image questions, %v", res.Score, twoImages, err)
	}
	for i := range qs {
		qs[i].Images = nil
	}
	res, err = Run(context.Background(), task, qs, Options{BaseURL: url, Concurrency: 8})
	if err != nil || res.Score != 0 {
		t.Fatalf("without images: score %v (%v); first response %q", res.Score, err, res.Outcomes[0].Response)
	}
}
