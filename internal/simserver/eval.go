package simserver

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Eval data lets the simulator "know" benchmark questions: a prompt that
// contains a dataset question gets a well-formed answer that is correct with
// probability Config.Accuracy, decided per question by a seeded hash so the
// set of correctly answered questions only grows with the accuracy.

type evalKind int

const (
	kindMMLU evalKind = iota
	kindGSM8K
	kindMMMU // multiple choice about images: answered only when they are sent
)

type evalItem struct {
	kind     evalKind
	question string
	choices  []string // MMLU (4) and MMMU options
	answer   string   // a letter; GSM8K: the number after ####
	source   string   // file:line
	images   int      // MMMU: images the question shows
}

// evalSet indexes questions by their first evalPrefixLen bytes so a prompt is
// scanned once with one map lookup per byte position.
type evalSet struct {
	items    []evalItem
	byPrefix map[string][]int
	short    []int // questions shorter than evalPrefixLen
}

const evalPrefixLen = 24

// loadEvalSet reads every *.csv (MMLU: Question,A,B,C,D,Answer) and *.jsonl
// (GSM8K: question, answer ending in "#### <number>"; MMMU: question,
// options, answer letter, images) below dir.
func loadEvalSet(dir string) (*evalSet, error) {
	s := &evalSet{byPrefix: map[string][]int{}}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv":
			files++
			return s.loadCSV(path)
		case ".jsonl":
			files++
			return s.loadJSONL(path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load eval data: %w", err)
	}
	if files == 0 {
		return nil, fmt.Errorf("load eval data: %s has no *.csv or *.jsonl files; point --sim-eval-data at the MMLU/GSM8K data", dir)
	}
	for i, it := range s.items {
		if len(it.question) < evalPrefixLen {
			s.short = append(s.short, i)
			continue
		}
		key := it.question[:evalPrefixLen]
		s.byPrefix[key] = append(s.byPrefix[key], i)
	}
	return s, nil
}

func (s *evalSet) loadCSV(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	cols := map[string]int{"question": 0, "a": 1, "b": 2, "c": 3, "d": 4, "answer": 5}
	first := true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if first {
			first = false
			if header, ok := csvHeader(rec); ok {
				cols = header
				continue
			}
			if len(rec) != 6 {
				return fmt.Errorf("%s:%d: want a header row Question,A,B,C,D,Answer", path, line)
			}
		}
		item := evalItem{kind: kindMMLU, source: fmt.Sprintf("%s:%d", path, line), choices: make([]string, 4)}
		get := func(col string) (string, error) {
			i := cols[col]
			if i >= len(rec) {
				return "", fmt.Errorf("%s: field %s: missing (row has %d fields)", item.source, col, len(rec))
			}
			return strings.TrimSpace(rec[i]), nil
		}
		if item.question, err = get("question"); err != nil {
			return err
		}
		if item.question == "" {
			return fmt.Errorf("%s: field Question: empty", item.source)
		}
		for k, col := range []string{"a", "b", "c", "d"} {
			if item.choices[k], err = get(col); err != nil {
				return err
			}
		}
		if item.answer, err = get("answer"); err != nil {
			return err
		}
		item.answer = strings.ToUpper(item.answer)
		if len(item.answer) != 1 || item.answer[0] < 'A' || item.answer[0] > 'D' {
			return fmt.Errorf("%s: field Answer: want one of A, B, C, D, got %q", item.source, item.answer)
		}
		s.items = append(s.items, item)
	}
}

// csvHeader maps column names to indices if rec is a header row.
func csvHeader(rec []string) (map[string]int, bool) {
	cols := map[string]int{}
	for i, name := range rec {
		cols[strings.ToLower(strings.TrimSpace(name))] = i
	}
	for _, want := range []string{"question", "a", "b", "c", "d", "answer"} {
		if _, ok := cols[want]; !ok {
			return nil, false
		}
	}
	return cols, true
}

func (s *evalSet) loadJSONL(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		src := fmt.Sprintf("%s:%d", path, line)
		var row struct {
			Question *string  `json:"question"`
			Answer   *string  `json:"answer"`
			Options  []string `json:"options"`
			Images   []string `json:"images"`
		}
		if err := json.Unmarshal([]byte(text), &row); err != nil {
			return fmt.Errorf("%s: invalid JSON: %w", src, err)
		}
		if row.Question == nil || strings.TrimSpace(*row.Question) == "" {
			return fmt.Errorf("%s: field question: missing or empty", src)
		}
		if row.Answer == nil {
			return fmt.Errorf("%s: field answer: missing", src)
		}
		if row.Options != nil {
			item, err := mmmuItem(src, strings.TrimSpace(*row.Question), row.Options, *row.Answer, len(row.Images))
			if err != nil {
				return err
			}
			s.items = append(s.items, item)
			continue
		}
		num, ok := gsm8kNumber(*row.Answer)
		if !ok {
			return fmt.Errorf("%s: field answer: want text ending with \"#### <number>\"", src)
		}
		s.items = append(s.items, evalItem{kind: kindGSM8K, question: strings.TrimSpace(*row.Question), answer: num, source: src})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// mmmuItem checks an MMMU row: 2..9 options, a letter among them, images.
func mmmuItem(src, question string, options []string, answer string, images int) (evalItem, error) {
	answer = strings.ToUpper(strings.TrimSpace(answer))
	switch {
	case len(options) < 2 || len(options) > 9:
		return evalItem{}, fmt.Errorf("%s: field options: want 2 to 9 options, got %d", src, len(options))
	case len(answer) != 1 || answer[0] < 'A' || int(answer[0]-'A') >= len(options):
		return evalItem{}, fmt.Errorf("%s: field answer: want a letter among the %d options, got %q", src, len(options), answer)
	case images == 0:
		return evalItem{}, fmt.Errorf("%s: field images: want at least one image", src)
	}
	return evalItem{kind: kindMMMU, question: question, choices: options, answer: answer, source: src, images: images}, nil
}

// gsm8kNumber extracts the final number of a GSM8K answer ("... #### 1,200").
func gsm8kNumber(answer string) (string, bool) {
	i := strings.LastIndex(answer, "####")
	if i < 0 {
		return "", false
	}
	num := strings.ReplaceAll(strings.TrimSpace(answer[i+4:]), ",", "")
	num = strings.TrimPrefix(num, "$")
	if _, err := strconv.ParseFloat(num, 64); err != nil {
		return "", false
	}
	return num, true
}

// match finds the dataset question in prompt. Few-shot prompts contain
// several questions; the one ending last is the one being asked. Among
// questions with the same text the one whose choices follow it wins.
func (s *evalSet) match(prompt string) (*evalItem, bool) {
	best, bestEnd := -1, -1
	consider := func(id, start int) {
		it := &s.items[id]
		end := start + len(it.question)
		switch {
		case end > bestEnd:
		case end < bestEnd:
			return
		case best >= 0 && len(it.question) < len(s.items[best].question):
			return
		case best >= 0 && it.question == s.items[best].question:
			if !choicesFollow(it, prompt[end:]) || choicesFollow(&s.items[best], prompt[end:]) {
				return
			}
		}
		best, bestEnd = id, end
	}
	for i := 0; i+evalPrefixLen <= len(prompt); i++ {
		ids, ok := s.byPrefix[prompt[i:i+evalPrefixLen]]
		if !ok {
			continue
		}
		for _, id := range ids {
			if strings.HasPrefix(prompt[i:], s.items[id].question) {
				consider(id, i)
			}
		}
	}
	for _, id := range s.short {
		if at := strings.LastIndex(prompt, s.items[id].question); at >= 0 {
			consider(id, at)
		}
	}
	if best < 0 {
		return nil, false
	}
	return &s.items[best], true
}

func choicesFollow(it *evalItem, rest string) bool {
	for _, c := range it.choices {
		if c != "" && !strings.Contains(rest, c) {
			return false
		}
	}
	return true
}

// answersCorrectly decides, per seed and question, whether the simulated
// model knows the answer: hash into [0,1) and compare with the accuracy.
func answersCorrectly(seed int64, question string, accuracy float64) bool {
	return unitFloat(hashString(uint64(seed), question)) < accuracy
}

// reply is the simulated model's answer to a matched question. A question
// about images is answered from the key only when the request carried
// them; without, the model says it cannot see them.
func (it *evalItem) reply(seed int64, accuracy float64, images int) string {
	correct := answersCorrectly(seed, it.question, accuracy)
	alt := hashString(uint64(seed)^0xa5a5a5a5, it.question)
	if it.kind == kindMMMU && images < it.images {
		return fmt.Sprintf("The question refers to %d image(s), but the request carried %d, so no option can be chosen.", it.images, images)
	}
	if it.kind == kindMMLU || it.kind == kindMMMU {
		letter := it.answer[0]
		n := byte(len(it.choices))
		if !correct {
			letter = 'A' + (letter-'A'+1+byte(alt%uint64(n-1)))%n
		}
		choice := truncateRunes(it.choices[letter-'A'], 80)
		return fmt.Sprintf("Let us weigh each option against the question. Option %c (%s) fits best, and the other options do not.\nAnswer: %c", letter, choice, letter)
	}
	num := it.answer
	if !correct {
		num = wrongNumber(num, alt)
	}
	return fmt.Sprintf("Working through the quantities step by step gives the total. The answer is %s.\n#### %s", num, num)
}

// wrongNumber returns a different number, deterministically.
func wrongNumber(num string, h uint64) string {
	delta := int64(1 + h%9)
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if h&(1<<20) != 0 && n-delta >= 0 {
			delta = -delta
		}
		return strconv.FormatInt(n+delta, 10)
	}
	f, _ := strconv.ParseFloat(num, 64)
	return strconv.FormatFloat(f+float64(delta), 'f', -1, 64)
}

func truncateRunes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
