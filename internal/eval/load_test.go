package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mmluCSV is in simple-evals' layout: a pandas index column, quoted
// multi-line fields.
const mmluCSV = `,Question,A,B,C,D,Answer,Subject
0,"Which is prime?
(pick one)",4,6,7,9,C,college_mathematics
1,Who wrote Hamlet?,Shakespeare,Marlowe,Jonson,Kyd,A,high_school_european_history
2,What is 11 + 21?,29,32,30,25,B,elementary_mathematics
`

func TestLoadMMLU(t *testing.T) {
	p := write(t, filepath.Join(t.TempDir(), "mmlu.csv"), mmluCSV)
	ds, err := LoadFile("mmlu", p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Examples) != 3 {
		t.Fatalf("%d examples", len(ds.Examples))
	}
	ex := ds.Examples[0]
	if ex.Question != "Which is prime?\n(pick one)" || ex.Answer != "C" || ex.Subject != "college_mathematics" || len(ex.Choices) != 4 || ex.Choices[2] != "7" {
		t.Errorf("example 0: %+v", ex)
	}
	if ds.Examples[1].Source != p+":4" || ds.Examples[2].Index != 2 {
		t.Errorf("sources/indices: %+v", ds.Examples[1:])
	}
	if MMLUCategory("college_mathematics") != "stem" || MMLUCategory("nope") != "other" || MMLUSubjects() != 57 {
		t.Errorf("subjects: %d", MMLUSubjects())
	}
}

func TestLoadErrorsAreOneLineAndNameTheFile(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		dataset, name, content, want string
	}{
		{"mmlu", "bad_answer.csv", "Question,A,B,C,D,Answer,Subject\nQ,1,2,3,4,E,x\n", ":2: unreadable: field Answer: want A, B, C or D"},
		{"mmlu", "no_header.csv", "Q,1,2,3,4,A,x\n", ":1: unreadable: header has no column"},
		{"mmlu", "bad_quote.csv", "Question,A,B,C,D,Answer,Subject\n\"Q,1,2,3,4,A,x\n", "unreadable: extraneous or missing \" in quoted-field"},
		{"mmlu", "short_row.csv", "Question,A,B,C,D,Answer,Subject\nQ,1,2\n", ":2: unreadable: row has 3 fields"},
		{"mmlu", "empty.csv", "", "unreadable: empty file"},
		{"gsm8k", "bad.jsonl", "{\"question\": \"Q\", \"answer\": \"42\"}\n", ":1: unreadable: field answer: no final \"#### <number>\""},
		{"gsm8k", "truncated.jsonl", "{\"question\": \"Q\", \"answer\": \"#### 4\"}\n{\"question\": \"Q2\", \"ans", ":2: unreadable: invalid JSON"},
		{"gsm8k", "none.jsonl", "\n\n", "unreadable: no records"},
		{"mmlu_pro", "bad.jsonl", `{"question": "Q", "options": ["a", "b"], "answer": "C"}` + "\n", ":1: unreadable: field answer: want a letter among the 2 options"},
		{"aime25", "bad.jsonl", `{"answer": 3}` + "\n", ":1: unreadable: field question or problem: missing"},
		{"math", "bad.csv", "Question,Answer\nQ,\n", ":2: unreadable: fields Question and Answer must not be empty"},
	}
	for _, c := range cases {
		p := write(t, filepath.Join(dir, c.name), c.content)
		_, err := LoadFile(c.dataset, p)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, p) || !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q: want one line naming %s and containing %q", c.name, msg, p, c.want)
		}
		var de *DatasetError
		if !errors.As(err, &de) {
			t.Errorf("%s: not a DatasetError", c.name)
		}
	}
}

func TestLoadOtherLayouts(t *testing.T) {
	dir := t.TempDir()
	g := write(t, filepath.Join(dir, "g.jsonl"), `{"question": "Q1", "answer": "a\n#### 1,200"}`+"\n\n"+`{"question": "Q2", "answer": "#### -3.50"}`+"\n")
	ds, err := LoadFile("gsm8k", g)
	if err != nil || len(ds.Examples) != 2 || ds.Examples[0].Answer != "1200" || ds.Examples[1].Answer != "-3.50" || ds.Examples[1].Source != g+":3" {
		t.Fatalf("gsm8k: %v %+v", err, ds)
	}
	p := write(t, filepath.Join(dir, "p.jsonl"), `{"question": "Q", "options": ["a","b","c"], "answer_index": 2, "category": "law"}`+"\n")
	ds, err = LoadFile("mmlu_pro", p)
	if err != nil || ds.Examples[0].Answer != "C" || ds.Examples[0].Subject != "law" {
		t.Fatalf("mmlu_pro: %v %+v", err, ds)
	}
	a := write(t, filepath.Join(dir, "a.jsonl"), `{"problem": "P", "answer": 204}`+"\n")
	ds, err = LoadFile("aime24", a)
	if err != nil || ds.Examples[0].Answer != "204" || ds.Examples[0].Question != "P" {
		t.Fatalf("aime: %v %+v", err, ds)
	}
	m := write(t, filepath.Join(dir, "m.csv"), ",Question,Answer\n0,What is $1+1$?,2\n")
	ds, err = LoadFile("math", m)
	if err != nil || ds.Examples[0].Answer != "2" {
		t.Fatalf("math: %v %+v", err, ds)
	}
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestStoreDataDirAndChecksums(t *testing.T) {
	data := t.TempDir()
	write(t, filepath.Join(data, "mmlu", "mmlu.csv"), mmluCSV)
	s := &Store{DataDir: data}
	ds, err := s.Load(context.Background(), "mmlu")
	if err != nil || len(ds.Examples) != 3 {
		t.Fatalf("load: %v", err)
	}
	// A listed checksum that does not match is a one-line corrupt error.
	write(t, filepath.Join(data, ChecksumFile), sum("other content")+"  mmlu/mmlu.csv\n")
	_, err = s.Load(context.Background(), "mmlu")
	if err == nil || !strings.Contains(err.Error(), "corrupt: sha256") || !strings.Contains(err.Error(), filepath.Join(data, "mmlu", "mmlu.csv")) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want corrupt error, got %v", err)
	}
	write(t, filepath.Join(data, ChecksumFile), sum(mmluCSV)+"  mmlu/mmlu.csv\n")
	if _, err := s.Load(context.Background(), "mmlu"); err != nil {
		t.Fatalf("matching checksum: %v", err)
	}
}

func TestStoreMissingSaysHowToGetIt(t *testing.T) {
	s := &Store{DataDir: t.TempDir(), CacheDir: t.TempDir(), Offline: true}
	_, err := s.Load(context.Background(), "gsm8k")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"dataset gsm8k:", "test.jsonl", "missing", "curl -fL", "https://raw.githubusercontent.com/openai/grade-school-math"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	_, err = (&Store{}).Load(context.Background(), "mmlu_pro")
	if err == nil || !strings.Contains(err.Error(), "TIGER-Lab/MMLU-Pro") || strings.Contains(err.Error(), "\n") {
		t.Errorf("mmlu_pro hint: %v", err)
	}
}

// withURL points a task's first file at a test server for the test's duration.
func withURL(t *testing.T, name, url, pinned string) {
	t.Helper()
	task := Tasks[name]
	old := task.Files
	task.Files = []Source{{Path: old[0].Path, URL: url, SHA256: pinned}}
	t.Cleanup(func() { task.Files = old })
}

func TestStoreDownloadsIntoCacheAndVerifies(t *testing.T) {
	const body = `{"question": "Q", "answer": "#### 4"}` + "\n"
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	withURL(t, "gsm8k", srv.URL+"/test.jsonl", "")
	cache := t.TempDir()
	s := &Store{CacheDir: cache}
	ds, err := s.Load(context.Background(), "gsm8k")
	if err != nil || len(ds.Examples) != 1 {
		t.Fatalf("load: %v", err)
	}
	sums, _ := os.ReadFile(filepath.Join(cache, ChecksumFile))
	if string(sums) != sum(body)+"  gsm8k/test.jsonl\n" {
		t.Errorf("SHA256SUMS = %q", sums)
	}
	// Second load reads the cache.
	if _, err := s.Load(context.Background(), "gsm8k"); err != nil || hits.Load() != 1 {
		t.Fatalf("second load: %v, %d downloads", err, hits.Load())
	}
	// A cached file changed behind our back is corrupt; the fix is to delete it.
	write(t, filepath.Join(cache, "gsm8k", "test.jsonl"), `{"question": "Q", "answer": "#### 5"}`+"\n")
	_, err = s.Load(context.Background(), "gsm8k")
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "delete it and rerun") {
		t.Fatalf("want corrupt cache error, got %v", err)
	}
}

func TestStoreRejectsDownloadWithWrongPin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("tampered")) }))
	defer srv.Close()
	withURL(t, "gsm8k", srv.URL+"/test.jsonl", sum("the real file"))
	cache := t.TempDir()
	_, err := (&Store{CacheDir: cache}).Load(context.Background(), "gsm8k")
	if err == nil || !strings.Contains(err.Error(), "want "+sum("the real file")) {
		t.Fatalf("got %v", err)
	}
	if fileExists(filepath.Join(cache, "gsm8k", "test.jsonl")) {
		t.Error("a rejected download was kept")
	}
}

func TestStoreDownloadHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	withURL(t, "gsm8k", srv.URL+"/test.jsonl", "")
	_, err := (&Store{CacheDir: t.TempDir()}).Load(context.Background(), "gsm8k")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "curl -fL") {
		t.Fatalf("got %v", err)
	}
}
