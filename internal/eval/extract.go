package eval

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	numberRE     = regexp.MustCompile(`-?\d+\.?\d*`)
	thinkBlockRE = regexp.MustCompile(`(?s)<think>.*?</think>`)
	thinkHeadRE  = regexp.MustCompile(`(?s)^.*?</think>`)
	answerSplit  = regexp.MustCompile(`[Aa]nswer\s*:`)
	hashesRE     = regexp.MustCompile(`####\s*\$?\s*(-?[\d,]*\.?\d+)`)
	answerIsRE   = regexp.MustCompile(`(?i)answer is\s*:?\s*\$?\s*(-?[\d,]*\.?\d+)`)
	answerLineRE = regexp.MustCompile(`(?i)Answer\s*:\s*([^\n]+)`)
	integerRE    = regexp.MustCompile(`\b\d+\b`)
)

// StripReasoning drops a reasoning span before answer extraction: whole
// <think>...</think> blocks, and everything up to a lone </think> (Qwen's
// template puts the opening tag in the prompt).
func StripReasoning(s string) string {
	if s == "" {
		return s
	}
	s = thinkBlockRE.ReplaceAllString(s, "")
	if strings.Contains(s, "</think>") {
		s = thinkHeadRE.ReplaceAllString(s, "")
	}
	return strings.TrimSpace(s)
}

// multichoiceRE matches "Answer: X" for the first n letters, case-insensitive
// like SGLang-JAX's pattern (a lower-case letter is extracted as written and
// then graded wrong, as there).
func multichoiceRE(n int) *regexp.Regexp {
	return regexp.MustCompile(`(?i)Answer\s*:\s*([A-` + string(rune('A'+n-1)) + `])`)
}

var mmluRE = multichoiceRE(4)

// ExtractChoice returns the letter of the first "Answer: X" after the
// reasoning span, or "".
func ExtractChoice(response string, re *regexp.Regexp) string {
	m := re.FindStringSubmatch(StripReasoning(response))
	if m == nil {
		return ""
	}
	return m[1]
}

// ExtractDirectChoice is the few-shot rule: the answer is the first
// non-space character, upper-cased; a response that does not start with a
// letter falls back to "Answer: X".
func ExtractDirectChoice(response string, letters int, re *regexp.Regexp) string {
	s := strings.TrimSpace(StripReasoning(response))
	if s != "" {
		c := strings.ToUpper(s[:1])
		rest := s[1:]
		if c[0] >= 'A' && c[0] < byte('A'+letters) && (rest == "" || !isLetter(rest[0])) {
			return c
		}
	}
	return ExtractChoice(response, re)
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// ExtractNumber reads a GSM8K answer. SGLang-JAX's rule comes first: the
// first number after the last "Answer:". Responses without one are read
// from a final "#### N" line or "the answer is N".
func ExtractNumber(response string) string {
	if strings.Contains(response, "Answer:") || strings.Contains(response, "answer:") {
		parts := answerSplit.Split(response, -1)
		tail := strings.ReplaceAll(strings.TrimSpace(parts[len(parts)-1]), ",", "")
		if m := numberRE.FindString(tail); m != "" {
			return strings.TrimRight(m, ".")
		}
	}
	for _, re := range []*regexp.Regexp{hashesRE, answerIsRE} {
		if all := re.FindAllStringSubmatch(response, -1); len(all) > 0 {
			m := strings.ReplaceAll(all[len(all)-1][1], ",", "")
			if m != "" && m != "-" {
				return strings.TrimRight(m, ".")
			}
		}
	}
	return ""
}

// SameNumber compares GSM8K answers after dropping thousands separators
// and trailing decimal zeros ("1,200.00" equals "1200").
func SameNumber(a, b string) bool {
	norm := func(s string) string {
		s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s
	}
	return norm(a) == norm(b)
}

// LastBoxed returns the content of the last \boxed{...} or \fbox{...},
// with nested braces, or "" and false.
func LastBoxed(s string) (string, bool) {
	last, found := "", false
	for i := 0; i < len(s); {
		at, mlen := -1, 0
		for _, marker := range []string{`\boxed{`, `\fbox{`} {
			if j := strings.Index(s[i:], marker); j >= 0 && (at < 0 || i+j < at) {
				at, mlen = i+j, len(marker)
			}
		}
		if at < 0 {
			break
		}
		start, depth, k := at+mlen, 1, at+mlen
		for ; k < len(s) && depth > 0; k++ {
			switch s[k] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth != 0 {
			break
		}
		last, found = s[start:k-1], true
		i = k
	}
	return last, found
}

// ExtractAIME reads the last boxed answer, or else the last integer.
func ExtractAIME(response string) string {
	if b, ok := LastBoxed(response); ok {
		return strings.TrimSpace(b)
	}
	all := integerRE.FindAllString(response, -1)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

// NormalizeAIME turns a numeric answer in 0..999 into its integer form.
func NormalizeAIME(s string) string {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if n := int(f); n >= 0 && n <= 999 {
			return strconv.Itoa(n)
		}
	}
	return s
}

// ExtractMath reads the first "Answer: ..." line, or else the last boxed
// expression.
func ExtractMath(response string) string {
	if m := answerLineRE.FindStringSubmatch(response); m != nil {
		return strings.TrimSpace(m[1])
	}
	if b, ok := LastBoxed(response); ok {
		return strings.TrimSpace(b)
	}
	return ""
}

var (
	textWrapRE = regexp.MustCompile(`\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}`)
	fracRE     = regexp.MustCompile(`\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}`)
	shortFrac  = regexp.MustCompile(`\\[dt]?frac(\d)(\d)`)
)

// NormalizeMath brings a MATH answer to a canonical string so that trivial
// differences (spacing, $...$, \left/\right, \dfrac vs \frac vs a/b,
// degree signs, "x = 3", trailing ".0") compare equal. SGLang-JAX asks an
// LLM judge instead; this deterministic rule is stricter.
func NormalizeMath(s string) string {
	s = strings.TrimSpace(s)
	if b, ok := LastBoxed(s); ok {
		s = b
	}
	for _, cut := range []string{"$", `\!`, `\,`, `\;`, `\left`, `\right`, `^\circ`, `^{\circ}`, `\%`, "%", " "} {
		s = strings.ReplaceAll(s, cut, "")
	}
	s = textWrapRE.ReplaceAllString(s, "$1")
	s = shortFrac.ReplaceAllString(s, `\frac{$1}{$2}`)
	s = fracRE.ReplaceAllString(s, "($1)/($2)")
	s = strings.TrimSuffix(s, ".")
	if i := strings.Index(s, "="); i >= 0 && i < 3 {
		s = s[i+1:]
	}
	s = strings.NewReplacer("(", "", ")", "", "{", "", "}", "").Replace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}
