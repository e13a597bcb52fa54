package eval

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Loader errors name the file and line; Load adds how to get a good copy.

// csvTable reads a CSV file with a header row and calls row for each record
// with a getter by (lower-case) column name. A leading unnamed column (the
// pandas index of OpenAI's simple-evals files) is ignored.
func csvTable(path string, need []string, row func(line int, get func(col string) string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: empty file", path)
	}
	if err != nil {
		return csvError(path, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range need {
		if _, ok := cols[c]; !ok {
			return fmt.Errorf("%s:1: header has no column %q (want %s)", path, c, strings.Join(need, ","))
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(path, err)
		}
		line, _ := r.FieldPos(0)
		get := func(col string) string {
			i, ok := cols[col]
			if !ok || i >= len(rec) {
				return ""
			}
			return rec[i]
		}
		if len(rec) < len(header) {
			return fmt.Errorf("%s:%d: row has %d fields, header has %d", path, line, len(rec), len(header))
		}
		if err := row(line, get); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
}

func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %v", path, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// jsonLines decodes each non-empty line of a JSONL file into a map.
func jsonLines(path string, row func(line int, obj map[string]json.RawMessage) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	n := 0
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("%s:%d: invalid JSON: %v", path, line, err)
		}
		if err := row(line, obj); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: no records", path)
	}
	return nil
}

// text reads a string field (numbers are accepted and kept as written).
func text(obj map[string]json.RawMessage, names ...string) (string, bool) {
	for _, name := range names {
		raw, ok := obj[name]
		if !ok {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s, true
		}
		var n json.Number
		if err := json.Unmarshal(raw, &n); err == nil {
			return n.String(), true
		}
	}
	return "", false
}

func need(obj map[string]json.RawMessage, names ...string) (string, error) {
	s, ok := text(obj, names...)
	if !ok || strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("field %s: missing or empty", strings.Join(names, " or "))
	}
	return s, nil
}

// loadMMLU reads OpenAI's simple-evals mmlu.csv layout:
// [index,]Question,A,B,C,D,Answer,Subject.
func loadMMLU(path string, into *[]Example) error {
	return csvTable(path, []string{"question", "a", "b", "c", "d", "answer"}, func(line int, get func(string) string) error {
		ex := Example{Source: fmt.Sprintf("%s:%d", path, line), Question: get("question"), Subject: strings.TrimSpace(get("subject"))}
		if strings.TrimSpace(ex.Question) == "" {
			return fmt.Errorf("field Question: empty")
		}
		for _, c := range []string{"a", "b", "c", "d"} {
			ex.Choices = append(ex.Choices, get(c))
		}
		ans := strings.ToUpper(strings.TrimSpace(get("answer")))
		if len(ans) != 1 || ans[0] < 'A' || ans[0] > 'D' {
			return fmt.Errorf("field Answer: want A, B, C or D, got %q", get("answer"))
		}
		ex.Answer = ans
		*into = append(*into, ex)
		return nil
	})
}

// loadGSM8K reads grade-school-math's test.jsonl: {"question", "answer"}
// where the answer's last line is "#### <number>".
func loadGSM8K(path string, into *[]Example) error {
	return jsonLines(path, func(line int, obj map[string]json.RawMessage) error {
		q, err := need(obj, "question")
		if err != nil {
			return err
		}
		a, err := need(obj, "answer")
		if err != nil {
			return err
		}
		num, ok := gsm8kTarget(a)
		if !ok {
			return fmt.Errorf("field answer: no final \"#### <number>\"")
		}
		*into = append(*into, Example{Source: fmt.Sprintf("%s:%d", path, line), Question: q, Answer: num})
		return nil
	})
}

// gsm8kTarget returns the number after "####", without thousands separators.
func gsm8kTarget(answer string) (string, bool) {
	i := strings.LastIndex(answer, "####")
	if i < 0 {
		return "", false
	}
	m := numberRE.FindString(strings.ReplaceAll(answer[i+4:], ",", ""))
	if m == "" {
		return "", false
	}
	return strings.TrimSuffix(m, "."), true
}

// loadMMLUPro reads TIGER-Lab/MMLU-Pro's test split as JSONL:
// {"question", "options": [up to 10], "answer": "A".."J" (or
// "answer_index"), "category"}.
func loadMMLUPro(path string, into *[]Example) error {
	return jsonLines(path, func(line int, obj map[string]json.RawMessage) error {
		q, err := need(obj, "question")
		if err != nil {
			return err
		}
		var opts []string
		if err := json.Unmarshal(obj["options"], &opts); err != nil || len(opts) < 2 || len(opts) > 10 {
			return fmt.Errorf("field options: want a list of 2 to 10 strings")
		}
		ans, _ := text(obj, "answer")
		ans = strings.ToUpper(strings.TrimSpace(ans))
		if ans == "" {
			if idx, ok := text(obj, "answer_index"); ok {
				if i, err := strconv.Atoi(idx); err == nil && i >= 0 && i < len(opts) {
					ans = string(rune('A' + i))
				}
			}
		}
		if len(ans) != 1 || ans[0] < 'A' || int(ans[0]-'A') >= len(opts) {
			return fmt.Errorf("field answer: want a letter among the %d options, got %q", len(opts), ans)
		}
		cat, _ := text(obj, "category")
		*into = append(*into, Example{Source: fmt.Sprintf("%s:%d", path, line), Question: q, Choices: opts, Answer: ans, Subject: cat})
		return nil
	})
}

// loadAIME reads {"question" (or "problem"), "answer"} lines; answers are
// integers 0..999.
func loadAIME(path string, into *[]Example) error {
	return jsonLines(path, func(line int, obj map[string]json.RawMessage) error {
		q, err := need(obj, "question", "problem")
		if err != nil {
			return err
		}
		a, err := need(obj, "answer")
		if err != nil {
			return err
		}
		*into = append(*into, Example{Source: fmt.Sprintf("%s:%d", path, line), Question: q, Answer: strings.TrimSpace(a)})
		return nil
	})
}

// loadMATH reads OpenAI's simple-evals math_test.csv layout: Question,Answer.
func loadMATH(path string, into *[]Example) error {
	return csvTable(path, []string{"question", "answer"}, func(line int, get func(string) string) error {
		q, a := get("question"), strings.TrimSpace(get("answer"))
		if strings.TrimSpace(q) == "" || a == "" {
			return fmt.Errorf("fields Question and Answer must not be empty")
		}
		*into = append(*into, Example{Source: fmt.Sprintf("%s:%d", path, line), Question: q, Answer: a, Subject: strings.TrimSpace(get("type"))})
		return nil
	})
}
