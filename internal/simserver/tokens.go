package simserver

import (
	"strings"
	"unicode/utf8"
)

// The simulator has no real tokenizer. Text is cut into word-like pieces
// (a word with its leading space, long words in 4-byte pieces, up to 3
// digits, single punctuation marks), which gives about one token per word
// or 4 characters, close enough to a BPE tokenizer for timing purposes.

const (
	vocabSize  = 151936 // vocabulary of the Qwen3 family
	eosTokenID = 151645 // reported as finish_reason.matched on a natural stop
	periodID   = 13
	firstWord  = 1000 // ids of generated words start here
)

// commonWords feeds the generic generated text.
var commonWords = strings.Fields(`
the model result value system data process time number first second next
table figure answer question method approach example case point level rate
small large new old simple clear important common general specific early
late high low total final initial main key basic useful possible different
similar same other each every many several some few more most less least
can will would should could may might must does did has have had shows gives
makes takes uses needs helps means keeps runs reads writes builds checks
finds moves holds turns starts ends follows leads brings sets puts adds
step part group set list line word page name term rule idea fact reason
change effect cause form kind type way place area field state world city
water light power energy heat force speed space road path line side edge
test check score measure limit range scale order pattern structure signal
because therefore however while when where which that this these those
also often usually rarely always never still already again together
between within across through during before after under over around about
people person team user reader writer teacher student worker friend family
morning evening night day week month year hour minute moment period season
`)

var (
	wordPieces    []string // " word"
	capitalPieces []string // " Word"
)

func init() {
	for _, w := range commonWords {
		wordPieces = append(wordPieces, " "+w)
		capitalPieces = append(capitalPieces, " "+strings.ToUpper(w[:1])+w[1:])
	}
}

func isLetter(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// nextPiece returns the length of the token piece starting at s[i:].
func nextPiece(s string, i int) int {
	n, j := len(s), i
	if s[j] == ' ' && j+1 < n && (isLetter(s[j+1]) || isDigit(s[j+1])) {
		j++
	}
	switch c := s[j]; {
	case isLetter(c):
		k := j
		for k < n && isLetter(s[k]) {
			k++
		}
		if k-j <= 8 {
			return k - i
		}
		// Long word: cut a 4-byte piece at a rune boundary.
		k = j + 4
		for k < n && s[k]&0xC0 == 0x80 {
			k++
		}
		return k - i
	case isDigit(c):
		k := j
		for k < n && k-j < 3 && isDigit(s[k]) {
			k++
		}
		return k - i
	case c == ' ' || c == '\n' || c == '\t' || c == '\r':
		k := j
		for k < n && s[k] == c {
			k++
		}
		return k - i
	default:
		_, size := utf8.DecodeRuneInString(s[j:])
		return j + size - i
	}
}

// splitPieces cuts s into its token pieces.
func splitPieces(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		n := nextPiece(s, i)
		out = append(out, s[i:i+n])
		i += n
	}
	return out
}

// pieceID maps a text piece to a stable token id.
func pieceID(p string) int32 {
	return int32(firstWord + hashString(0, p)%uint64(vocabSize-2*firstWord))
}

// outputToken is one generated token with its JSON-escaped text.
type outputToken struct {
	id  int32
	esc string
}

// tokenSource produces a request's output tokens in order: first the scripted
// pieces (an eval answer), then generic seeded text.
type tokenSource struct {
	script       []outputToken
	pos          int
	rng          uint64
	sentenceLeft int
}

func newTokenSource(script string, seed uint64) *tokenSource {
	ts := &tokenSource{rng: seed, sentenceLeft: 6 + int(seed%10)}
	for _, p := range splitPieces(script) {
		ts.script = append(ts.script, outputToken{pieceID(p), string(appendJSONEscaped(nil, p))})
	}
	return ts
}

// next returns the next output token; generic tokens do not allocate.
func (ts *tokenSource) next() outputToken {
	if ts.pos < len(ts.script) {
		t := ts.script[ts.pos]
		ts.pos++
		return t
	}
	ts.pos++
	r := splitmix(&ts.rng)
	ts.sentenceLeft--
	switch {
	case ts.sentenceLeft == 0:
		return outputToken{periodID, "."}
	case ts.sentenceLeft < 0:
		ts.sentenceLeft = 6 + int(r%10)
		k := int(r>>8) % len(capitalPieces)
		return outputToken{int32(firstWord + 2*k + 1), capitalPieces[k]}
	default:
		k := int(r>>8) % len(wordPieces)
		return outputToken{int32(firstWord + 2*k), wordPieces[k]}
	}
}

// naturalLength is the number of tokens a generic answer has before EOS when
// ignore_eos is off: deterministic per seed and prompt, 24..279 tokens.
func naturalLength(seed uint64) int {
	return 24 + int(mix64(seed^0x5bd1e995)%256)
}

// appendJSONEscaped appends s as the inside of a JSON string, escaping what
// JSON requires and leaving valid UTF-8 as is (like orjson).
func appendJSONEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
