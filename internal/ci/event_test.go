package ci

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/settings"
)

func TestMatchPathsFilterSemantics(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"python/sgl_jax/**", "python/sgl_jax/srt/layers/linear.py", true},
		{"python/sgl_jax/**", "python/sgl_jax/x.py", true},
		{"python/sgl_jax/**", "python/sgl_jax_other/x.py", false},
		{"python/*.toml", "python/pyproject.toml", true},
		{"python/*.toml", "python/sub/pyproject.toml", false},
		{"*.md", "README.md", true},
		{"*.md", "docs/README.md", false}, // no basename matching
		{"**/*.md", "docs/README.md", true},
		{".github/actions/**", ".github/actions/setup/action.yml", true},
		{"**", ".hidden/file", true}, // dot: true
		{"*", ".env", true},
		{"test/**", "test/srt/.gitkeep", true},
		{"{python,test}/**", "test/a.py", true},
		{"!docs/**", "src/a.py", true}, // a negated pattern matches everything else
		{"!docs/**", "docs/a.md", false},
		{"benchmark/kernels/**", "benchmark/moe/x.py", false},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.path); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
	if glob, ok := MatchAny([]string{"a/**", "b/**"}, "b/x"); !ok || glob != "b/**" {
		t.Errorf("MatchAny: %q %v", glob, ok)
	}
}

const prPayload = `{
  "action": "labeled",
  "number": 42,
  "pull_request": {
    "number": 42, "draft": false,
    "labels": [{"name": "test:perf"}, {"name": "run-ci"}],
    "base": {"ref": "main", "sha": "1111111111111111111111111111111111111111"},
    "head": {"ref": "feature", "sha": "2222222222222222222222222222222222222222"}
  },
  "repository": {"full_name": "sgl-project/sglang-jax"}
}`

func TestParsePullRequestPayload(t *testing.T) {
	in, err := ParsePayload("pull_request", "event.json", []byte(prPayload), Input{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Event != EventPR || in.Number != 42 || in.Draft || in.Base[:4] != "1111" || in.Head[:4] != "2222" ||
		in.Repository != "sgl-project/sglang-jax" || in.Ref != "refs/heads/main" || !slices.Equal(in.Labels, []string{"run-ci", "test:perf"}) {
		t.Errorf("parsed %+v", in)
	}
}

func TestParsePushPayload(t *testing.T) {
	in, err := ParsePayload("push", "event.json", []byte(`{"ref":"refs/heads/main","before":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","after":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","repository":{"full_name":"o/r"}}`), Input{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Event != EventPush || in.Ref != "refs/heads/main" || in.Base[:3] != "aaa" || in.Head[:3] != "bbb" || in.Repository != "o/r" {
		t.Errorf("parsed %+v", in)
	}
}

const sha40 = "1234567890abcdef1234567890abcdef12345678"

func TestBadPayloads(t *testing.T) {
	cases := []struct{ name, event, doc, want string }{
		{"invalid json", "pull_request", `{"pull_request": `, "event.json: invalid JSON"},
		{"top level array", "pull_request", `[]`, "event.json: (top level): want an object, got array"},
		{"no pull_request", "pull_request", `{}`, "event.json: pull_request: missing"},
		{"draft as string", "pull_request", `{"pull_request":{"draft":"yes"}}`, `event.json: pull_request.draft: want a boolean, got string "yes"`},
		{"labels not an array", "pull_request", `{"pull_request":{"labels":"run-ci"}}`, "pull_request.labels: want an array"},
		{"label not an object", "pull_request", `{"pull_request":{"labels":["run-ci"]}}`, "pull_request.labels[0]: want an object"},
		{"label name number", "pull_request", `{"pull_request":{"labels":[{"name":3}]}}`, "pull_request.labels[0].name: want a string, got number 3"},
		{"missing head sha", "pull_request", `{"pull_request":{"base":{"sha":"` + sha40 + `"},"head":{}}}`, "pull_request.head.sha: missing"},
		{"number not integer", "pull_request", `{"pull_request":{"number":1.5}}`, "pull_request.number: want an integer"},
		{"repository wrong type", "push", `{"repository":"o/r"}`, "repository: want an object, got string"},
		{"ref wrong type", "push", `{"ref":7}`, "event.json: ref: want a string, got number 7"},
		{"base sha as an option", "pull_request", `{"pull_request":{"base":{"sha":"--output=x"},"head":{"sha":"` + sha40 + `"}}}`, `pull_request.base.sha: "--output=x" is not a commit SHA`},
		{"short head sha", "pull_request", `{"pull_request":{"base":{"sha":"` + sha40 + `"},"head":{"sha":"abc"}}}`, `pull_request.head.sha: "abc" is not a commit SHA`},
		{"base ref as an option", "pull_request", `{"pull_request":{"base":{"sha":"` + sha40 + `","ref":"--exec=x"},"head":{"sha":"` + sha40 + `"}}}`, `pull_request.base.ref: "--exec=x" starts with '-'`},
		{"push before as an option", "push", `{"before":"--output=x","after":"` + sha40 + `"}`, `before: "--output=x" is not a commit SHA`},
		{"push ref with a newline", "push", `{"ref":"refs/heads/x\n::warning::y"}`, `ref: "refs/heads/x\n::warning::y" holds a space or control character`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePayload(c.event, "event.json", []byte(c.doc), Input{})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line containing %q", err, c.want)
			}
		})
	}
}

func TestFromGitHub(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "event.json")
	if err := os.WriteFile(file, []byte(prPayload), 0o644); err != nil {
		t.Fatal(err)
	}
	gh := settings.GitHub{EventName: "pull_request", EventPath: file}
	in, err := FromGitHub(gh)
	if err != nil || in.Number != 42 {
		t.Fatalf("%+v %v", in, err)
	}
	gh.EventPath = filepath.Join(dir, "missing.json")
	if _, err := FromGitHub(gh); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing payload: %v", err)
	}
	gh.EventPath = ""
	if _, err := FromGitHub(gh); err == nil || !strings.Contains(err.Error(), "GITHUB_EVENT_PATH is not set") {
		t.Errorf("no payload path: %v", err)
	}
}
