package gate

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/sgl-project/tpuci/internal/textline"
)

// Decode reads a baselines file strictly into v. Errors are one line
// naming the file, line and column, and for an unknown field the fields
// the file may have; step names the file kind ("baselines", "accuracy
// baselines").
func Decode(step, path string, data []byte, v any, fields string) error {
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) && len(sm.Errors) > 0 {
		de := sm.Errors[0]
		row, col := de.Position()
		return fmt.Errorf("%s: %s:%d:%d: unknown field %q (fields are %s)", step, path, row, col, strings.Join(de.Key(), "."), fields)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("%s: %s:%d:%d: %s", step, path, row, col, oneLine(de.Error()))
	}
	return fmt.Errorf("%s: %s: %s", step, path, oneLine(err.Error()))
}

func oneLine(s string) string { return textline.Joined(s) }
