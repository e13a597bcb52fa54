package config

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

//go:embed default.toml
var defaultTOML []byte

// DefaultSource names the embedded default configuration in messages.
const DefaultSource = "embedded default (sglang-jax)"

// Default returns the embedded configuration describing SGLang-JAX.
func Default() (*Config, error) { return Parse(DefaultSource, defaultTOML) }

// DefaultTOML is the embedded default's text.
func DefaultTOML() []byte { return bytes.Clone(defaultTOML) }

// Load reads and parses the TOML file at path. A file that sets nothing
// is an error: every target would skip and the run would pass.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if definesNothing(data) {
		return nil, &Error{File: path, Msg: "defines nothing (no key is set, only comments, blank lines or empty tables): " +
			"delete it or unset TPUCI_CONFIG to use the embedded default, or write a whole one with `go tool mage suite:import PATH > tpuci.toml`"}
	}
	return c, nil
}

// definesNothing reports whether a valid document sets no key and adds
// no array element: it is empty, comments, or empty [tables].
func definesNothing(data []byte) bool {
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		if k := p.Expression().Kind; k == unstable.KeyValue || k == unstable.ArrayTable {
			return false
		}
	}
	return true
}

// Parse decodes data strictly: unknown keys and wrong types are errors
// that name file:line:col and the field. Defaults are applied afterwards.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, decodeError(name, data, err)
	}
	sum := sha256.Sum256(data)
	c.Source = name
	c.Hash = hex.EncodeToString(sum[:8])
	c.pos = indexPositions(data)
	c.applyDefaults()
	return &c, nil
}

// Error is one problem in a config file, located precisely.
type Error struct {
	File  string
	Line  int
	Col   int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
}

func decodeError(file string, data []byte, err error) error {
	var bad *durationError
	if errors.As(err, &bad) {
		path, p := indexPositions(data).valueAt(data, bad.text)
		return &Error{File: file, Line: p.Line, Col: p.Column, Field: path, Msg: bad.Error()}
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var errs []error
		for _, e := range strict.Errors {
			row, col := e.Position()
			errs = append(errs, &Error{File: file, Line: row, Col: col, Field: strings.Join(e.Key(), "."),
				Msg: "unknown key (check its spelling against `go tool mage config:show`)"})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := de.Error()
		msg = plainType(strings.TrimPrefix(msg, "toml: "))
		return &Error{File: file, Line: row, Col: col, Field: strings.Join(de.Key(), "."), Msg: msg}
	}
	return fmt.Errorf("%s: %w", file, err)
}

// typeMismatch is go-toml's message for a value of the wrong type, which
// names Go's types; plainType says it in the file's terms.
var typeMismatch = regexp.MustCompile(`^cannot decode TOML (.+?) into struct field \S+ of type (\S+)$`)

// wanted are the file's words for the Go types of its fields.
var wanted = map[string]string{
	"toml.LocalDate": "a date such as 2027-01-31 (no time of day)", "string": "a string (in quotes)",
	"int": "a whole number", "int64": "a whole number", "float64": "a number", "bool": "true or false",
	"config.Duration": `a duration in quotes, such as "10m"`,
}

func plainType(msg string) string {
	m := typeMismatch.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want, ok := wanted[m[2]]
	switch {
	case ok:
	case strings.HasPrefix(m[2], "[]"):
		want = "an array"
	default:
		want = "a table"
	}
	return fmt.Sprintf("a TOML %s where %s is wanted", m[1], want)
}

// errAt builds an Error for a key path in this config.
func (c *Config) errAt(path, format string, args ...any) error {
	line, col := c.pos.at(path)
	return &Error{File: c.Source, Line: line, Col: col, Field: path, Msg: fmt.Sprintf(format, args...)}
}

// Marshal renders the resolved configuration as TOML.
func (c *Config) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf)
	enc.SetIndentTables(true)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// ReplaceSuites swaps in suites read from elsewhere (a checkout's own
// suite table): the source names both, the hash covers from's content,
// and problems in those suites are reported against from, not this file.
func (c *Config) ReplaceSuites(suites []Suite, from string, content []byte) {
	c.Suites = suites
	c.applyDefaults()
	sum := sha256.Sum256(append([]byte(c.Hash), content...))
	c.Hash = hex.EncodeToString(sum[:8])
	c.Source += " with suites from " + from
	for k := range c.pos {
		if strings.HasPrefix(k, "suite[") {
			delete(c.pos, k)
		}
	}
}
