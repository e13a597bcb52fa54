package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sgl-project/tpuci/internal/needs"
)

func TestAssembleHostPython(t *testing.T) {
	const python = "/usr/bin/python3"
	needs.Tool(t, python)
	tree, err := Assemble(context.Background(), python)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := tree.Context([]byte("FROM scratch\n"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(ctx))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[strings.TrimSuffix(h.Name, "/")] = h
	}
	exe := "rootfs" + tree.Python.Executable
	for _, want := range []string{"Dockerfile", exe, "rootfs/usr/bin/python3", "rootfs" + tree.Python.Stdlib + "/encodings/__init__.py",
		"rootfs" + tree.Python.Stdlib + "/os.py", "rootfs/tmp"} {
		if names[want] == nil {
			t.Errorf("context lacks %s", want)
		}
	}
	libc := false
	for n, h := range names {
		if strings.Contains(n, "/test/") || strings.HasSuffix(n, ".pyc") || strings.Contains(n, "/site-packages/") {
			t.Errorf("context holds %s", n)
		}
		if strings.Contains(n, "libc.so.6") && h.Typeflag == tar.TypeReg {
			libc = true
		}
	}
	if !libc {
		t.Error("context lacks libc.so.6")
	}
	if names["rootfs/tmp"].Mode != 0o1777 {
		t.Errorf("tmp mode %o", names["rootfs/tmp"].Mode)
	}
	// The same host gives the same bytes: the base layer caches.
	again, err := tree.Context([]byte("FROM scratch\n"))
	if err != nil || !bytes.Equal(ctx, again) {
		t.Error("two contexts of the same tree differ")
	}
	t.Logf("%d files, %.1f MB, missing %v", tree.Files, float64(tree.Bytes)/1e6, tree.Missing)
}
