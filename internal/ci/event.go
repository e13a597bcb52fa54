package ci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/sgl-project/tpuci/internal/gitcmd"
	"github.com/sgl-project/tpuci/internal/settings"
)

// FromGitHub reads the event of a GitHub Actions run: GITHUB_EVENT_NAME and
// the webhook payload at GITHUB_EVENT_PATH (draft, labels, base and head of
// a pull request; ref, before and after of a push; the repository). A
// missing file, invalid JSON or a field of the wrong type is an error
// naming the file and the field.
func FromGitHub(gh settings.GitHub) (Input, error) {
	in := Input{Event: gh.EventName, Repository: gh.Repository, Ref: gh.Ref}
	file := gh.EventPath
	if file == "" {
		return in, fmt.Errorf("ci:plan: GITHUB_EVENT_NAME=%s but GITHUB_EVENT_PATH is not set: run inside GitHub Actions or unset GITHUB_EVENT_NAME to plan locally", in.Event)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return in, fmt.Errorf("ci:plan: read event payload %s: %w", file, err)
	}
	return ParsePayload(in.Event, file, data, in)
}

// ParsePayload decodes a webhook payload into in; file names it in errors.
func ParsePayload(event, file string, data []byte, in Input) (Input, error) {
	in.Event = event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return in, fmt.Errorf("ci:plan: %s: invalid JSON: %v", file, err)
	}
	p := payload{file: file}
	obj, err := p.object(root, "")
	if err != nil {
		return in, err
	}
	if repo, ok, err := p.objectAt(obj, "repository"); err != nil {
		return in, err
	} else if ok {
		if v, _, err := p.stringAt(repo, "repository.full_name"); err != nil {
			return in, err
		} else if v != "" {
			in.Repository = v
		}
	}
	switch event {
	case EventPR, "pull_request_target":
		in.Event = EventPR
		return p.pullRequest(obj, event, in)
	case EventPush:
		for _, f := range []struct {
			name string
			dst  *string
		}{{"ref", &in.Ref}, {"before", &in.Base}, {"after", &in.Head}} {
			v, ok, err := p.stringAt(obj, f.name)
			if err != nil {
				return in, err
			}
			if ok {
				*f.dst = v
			}
		}
		return in, p.checkPush(in)
	case EventDispatch:
		return p.dispatch(obj, in)
	}
	return in, nil
}

// checkPush refuses a push whose before or after is not a commit SHA, or
// whose ref is not a ref git could have pushed: they reach git's argv.
func (p payload) checkPush(in Input) error {
	for _, f := range []struct{ name, v string }{{"before", in.Base}, {"after", in.Head}} {
		if f.v == "" {
			continue
		}
		if err := gitcmd.CheckSHA(f.name, f.v); err != nil {
			return fmt.Errorf("ci:plan: %s: %w", p.file, err)
		}
	}
	if in.Ref != "" {
		if err := gitcmd.CheckBranch("ref", in.Ref); err != nil {
			return fmt.Errorf("ci:plan: %s: %w", p.file, err)
		}
	}
	return nil
}

// pullRequest reads a pull_request event: action, label, draft, number,
// labels, base and head.
func (p payload) pullRequest(obj map[string]any, event string, in Input) (Input, error) {
	pr, ok, err := p.objectAt(obj, "pull_request")
	if err != nil {
		return in, err
	}
	if !ok {
		return in, fmt.Errorf("ci:plan: %s: pull_request: missing in a %s event", p.file, event)
	}
	if in.Action, _, err = p.stringAt(obj, "action"); err != nil {
		return in, err
	}
	if lo, ok, err := p.objectAt(obj, "label"); err != nil {
		return in, err
	} else if ok {
		if in.Label, _, err = p.stringAt(lo, "label.name"); err != nil {
			return in, err
		}
	}
	if in.Draft, _, err = p.boolAt(pr, "pull_request.draft"); err != nil {
		return in, err
	}
	if n, ok, err := p.numberAt(pr, "pull_request.number"); err != nil {
		return in, err
	} else if ok {
		in.Number = n
	}
	if in.Labels, err = p.labels(pr); err != nil {
		return in, err
	}
	for _, side := range []string{"base", "head"} {
		sha, ref, err := p.side(pr, side)
		if err != nil {
			return in, err
		}
		if side == "head" {
			in.Head = sha
			continue
		}
		in.Base = sha
		if ref != "" {
			in.Ref = "refs/heads/" + ref
		}
	}
	return in, nil
}

// labels are the names of pull_request.labels, sorted.
func (p payload) labels(pr map[string]any) ([]string, error) {
	labels, _, err := p.arrayAt(pr, "pull_request.labels")
	if err != nil {
		return nil, err
	}
	var names []string
	for i, l := range labels {
		at := fmt.Sprintf("pull_request.labels[%d]", i)
		lo, err := p.object(l, at)
		if err != nil {
			return nil, err
		}
		name, ok, err := p.stringAt(lo, at+".name")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("ci:plan: %s: %s.name: missing", p.file, at)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// side reads pull_request.base or .head: its sha (required) and ref.
func (p payload) side(pr map[string]any, side string) (sha, ref string, err error) {
	o, ok, err := p.objectAt(pr, "pull_request."+side)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", fmt.Errorf("ci:plan: %s: pull_request.%s: missing", p.file, side)
	}
	sha, ok, err = p.stringAt(o, "pull_request."+side+".sha")
	if err != nil {
		return "", "", err
	}
	if !ok || sha == "" {
		return "", "", fmt.Errorf("ci:plan: %s: pull_request.%s.sha: missing", p.file, side)
	}
	if err := gitcmd.CheckSHA("pull_request."+side+".sha", sha); err != nil {
		return "", "", fmt.Errorf("ci:plan: %s: %w", p.file, err)
	}
	if side == "base" {
		if ref, _, err = p.stringAt(o, "pull_request.base.ref"); err != nil {
			return "", "", err
		}
		if err := gitcmd.CheckBranch("pull_request.base.ref", ref); ref != "" && err != nil {
			return "", "", fmt.Errorf("ci:plan: %s: %w", p.file, err)
		}
	}
	return sha, ref, nil
}

// payload reads typed fields and names the offending one in errors.
type payload struct{ file string }

func (p payload) typeErr(field, want string, got any) error {
	kind := "null"
	switch v := got.(type) {
	case string:
		kind = fmt.Sprintf("string %q", v)
	case json.Number:
		kind = "number " + v.String()
	case bool:
		kind = fmt.Sprintf("boolean %v", v)
	case []any:
		kind = "array"
	case map[string]any:
		kind = "object"
	}
	if field == "" {
		field = "(top level)"
	}
	return fmt.Errorf("ci:plan: %s: %s: want %s, got %s", p.file, field, want, kind)
}

func (p payload) object(v any, field string) (map[string]any, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, p.typeErr(field, "an object", v)
	}
	return o, nil
}

func last(field string) string { return field[strings.LastIndex(field, ".")+1:] }

func (p payload) objectAt(o map[string]any, field string) (map[string]any, bool, error) {
	v, ok := o[last(field)]
	if !ok || v == nil {
		return nil, false, nil
	}
	obj, err := p.object(v, field)
	return obj, err == nil, err
}

func (p payload) stringAt(o map[string]any, field string) (string, bool, error) {
	v, ok := o[last(field)]
	if !ok || v == nil {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, p.typeErr(field, "a string", v)
	}
	return s, true, nil
}

func (p payload) boolAt(o map[string]any, field string) (bool, bool, error) {
	v, ok := o[last(field)]
	if !ok || v == nil {
		return false, false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, false, p.typeErr(field, "a boolean", v)
	}
	return b, true, nil
}

func (p payload) numberAt(o map[string]any, field string) (int, bool, error) {
	v, ok := o[last(field)]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, false, p.typeErr(field, "a number", v)
	}
	i, err := n.Int64()
	if err != nil {
		return 0, false, p.typeErr(field, "an integer", v)
	}
	return int(i), true, nil
}

func (p payload) arrayAt(o map[string]any, field string) ([]any, bool, error) {
	v, ok := o[last(field)]
	if !ok || v == nil {
		return nil, false, nil
	}
	a, isArr := v.([]any)
	if !isArr {
		return nil, false, p.typeErr(field, "an array", v)
	}
	return a, true, nil
}
