package compiles_test

import (
	"testing"

	"github.com/sgl-project/tpuci/internal/jaxenv/jaxenvtest"
)

func TestMain(m *testing.M) { jaxenvtest.Main(m) }
