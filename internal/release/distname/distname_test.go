package distname

import "testing"

func TestNames(t *testing.T) {
	for in, want := range map[string][2]string{
		"Tiny_Pkg.Demo":   {"tiny-pkg-demo", "tiny_pkg_demo"},
		"sglang-jax":      {"sglang-jax", "sglang_jax"},
		"sgl--jax__x":     {"sgl-jax-x", "sgl_jax_x"},
		"sgl-jax-example": {"sgl-jax-example", "sgl_jax_example"},
	} {
		if got := Normalize(in); got != want[0] {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want[0])
		}
		if got := FileName(in); got != want[1] {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want[1])
		}
	}
	if Valid("-bad") || Valid("") || !Valid("sgl-jax.x_1") {
		t.Error("Valid")
	}
}
