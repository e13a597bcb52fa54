package simserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

const shortGenerate = `{"text":"hello","sampling_params":{"max_new_tokens":2,"ignore_eos":true}}`

func TestReadyDelay(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.ReadyDelay = 300 * time.Millisecond })
	for _, path := range []string{"/health", "/health_generate"} {
		if code, _ := get(t, ts.url+path); code != http.StatusServiceUnavailable {
			t.Errorf("%s before ready = %d, want 503", path, code)
		}
	}
	// Other endpoints already work, as on the real server after startup.
	if code, _ := get(t, ts.url+"/get_model_info"); code != http.StatusOK {
		t.Errorf("get_model_info before ready = %d, want 200", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := get(t, ts.url+"/health")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health still %d 5s after a 300ms ready delay", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(ts.log.String(), "ready") {
		t.Errorf("no ready log line:\n%s", ts.log)
	}
}

func TestNeverReady(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.NeverReady = true })
	time.Sleep(50 * time.Millisecond)
	for _, path := range []string{"/health", "/health_generate"} {
		if code, _ := get(t, ts.url+path); code != http.StatusServiceUnavailable {
			t.Errorf("%s = %d, want 503", path, code)
		}
	}
}

// failPattern sends n requests and returns which ones got HTTP 500.
func failPattern(t *testing.T, url string, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		code, body := post(t, url+"/generate", shortGenerate)
		switch code {
		case http.StatusOK:
		case http.StatusInternalServerError:
			out[i] = true
			if mustJSON(t, string(body))["code"] != float64(500) {
				t.Errorf("500 body = %s", body)
			}
		default:
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	return out
}

func TestFailRateIsSeededAndProportional(t *testing.T) {
	cfg := func(c *Config) { c.FailRate = 0.3 }
	a := failPattern(t, startServer(t, cfg).url, 60)
	b := failPattern(t, startServer(t, cfg).url, 60)
	failed := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, request %d: failed=%v then %v", i, a[i], b[i])
		}
		if a[i] {
			failed++
		}
	}
	if failed < 8 || failed > 30 {
		t.Errorf("%d of 60 requests failed at rate 0.3, want about 18", failed)
	}
}

func TestRecompileAddsCacheMissCount(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.RecompileEvery = 3 })
	for i := 1; i <= 6; i++ {
		_, body := post(t, ts.url+"/generate", shortGenerate)
		got := num(t, obj(t, mustJSON(t, string(body)), "meta_info"), "cache_miss_count")
		want := 0
		if i%3 == 0 {
			want = 1
		}
		if got != want {
			t.Errorf("request %d cache_miss_count = %d, want %d", i, got, want)
		}
	}
}

func TestCacheMissCheckIsFatal(t *testing.T) {
	for _, stream := range []bool{false, true} {
		ts := startServer(t, func(c *Config) { c.RecompileEvery, c.CacheMissCheck = 2, true })
		if code, _ := post(t, ts.url+"/generate", shortGenerate); code != http.StatusOK {
			t.Fatalf("first request = %d, want 200", code)
		}
		req := shortGenerate
		if stream {
			req = `{"text":"hello","sampling_params":{"max_new_tokens":2},"stream":true}`
		}
		code, body := post(t, ts.url+"/generate", req)
		if !strings.Contains(string(body), "cache miss occurred 1 times") {
			t.Errorf("stream=%v: second request = %d %s, want the cache miss error", stream, code, body)
		}
		if !stream && code != http.StatusInternalServerError {
			t.Errorf("non-streaming failed request status = %d, want 500", code)
		}
		err := ts.wait(t, 5*time.Second)
		if !errors.Is(err, ErrCacheMiss) || !strings.Contains(err.Error(), "cache miss occurred 1 times") {
			t.Errorf("Serve = %v, want ErrCacheMiss with the count", err)
		}
	}
}

func TestCrashAfter(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.CrashAfter = 2 })
	for i := 0; i < 2; i++ {
		if code, _ := post(t, ts.url+"/generate", shortGenerate); code != http.StatusOK {
			t.Fatalf("request %d = %d, want 200", i, code)
		}
	}
	err := ts.wait(t, 5*time.Second)
	if !errors.Is(err, ErrCrashed) {
		t.Fatalf("Serve = %v, want ErrCrashed", err)
	}
	if _, err := http.Get(ts.url + "/health"); err == nil {
		t.Errorf("server still answers after the simulated crash")
	}
}

func TestProfileWritesChromeTrace(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, func(c *Config) { c.ProfileDir = dir })
	if code, body := post(t, ts.url+"/stop_profile", ""); code != http.StatusBadRequest {
		t.Errorf("stop before start = %d %s, want 400", code, body)
	}
	if code, body := post(t, ts.url+"/start_profile", ""); code != http.StatusOK {
		t.Fatalf("start_profile = %d %s", code, body)
	}
	if code, _ := post(t, ts.url+"/start_profile", ""); code != http.StatusBadRequest {
		t.Errorf("second start_profile = %d, want 400", code)
	}
	_, status := get(t, ts.url+"/profile_status")
	if mustJSON(t, string(status))["status"] != "in_progress" {
		t.Errorf("profile_status = %s", status)
	}
	post(t, ts.url+"/generate", `{"text":"hello","sampling_params":{"max_new_tokens":5,"ignore_eos":true}}`)
	code, body := post(t, ts.url+"/stop_profile", "")
	if code != http.StatusOK {
		t.Fatalf("stop_profile = %d %s", code, body)
	}
	fields := strings.Fields(string(body))
	path := fields[len(fields)-1]
	if !strings.HasPrefix(path, dir) {
		t.Fatalf("trace path %q not in profile dir %s (body %q)", path, dir, body)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var trace struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			Dur  float64 `json:"dur"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &trace); err != nil {
		t.Fatalf("trace is not JSON: %v", err)
	}
	steps := map[string]int{}
	for _, ev := range trace.TraceEvents {
		if ev.Ph == "X" && ev.Dur > 0 {
			steps[ev.Name]++
		}
	}
	if steps["prefill"] != 1 || steps["decode"] != 4 {
		t.Errorf("trace steps = %v, want 1 prefill and 4 decode", steps)
	}
}

func TestProfileNumStepsStopsItself(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, nil)
	if code, body := post(t, ts.url+"/start_profile", `{"output_dir":"`+dir+`","num_steps":2}`); code != http.StatusOK {
		t.Fatalf("start_profile = %d %s", code, body)
	}
	post(t, ts.url+"/generate", `{"text":"hello","sampling_params":{"max_new_tokens":5,"ignore_eos":true}}`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		files, _ := os.ReadDir(dir)
		if len(files) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no trace in %s after num_steps", dir)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
