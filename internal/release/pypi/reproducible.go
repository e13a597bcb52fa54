package pypi

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// EnvSourceDateEpoch is the reproducible-builds variable: the wheel
// builder stamps every file with it.
const EnvSourceDateEpoch = "SOURCE_DATE_EPOCH"

// EpochEnv is the environment entry for epoch.
func EpochEnv(epoch time.Time) string {
	return EnvSourceDateEpoch + "=" + strconv.FormatInt(epoch.Unix(), 10)
}

// NormalizeSdist rewrites an sdist so that its bytes depend on its
// contents alone: members sorted by name, every time set to epoch, owners
// and modes fixed, and the gzip header carrying epoch and no file name.
// setuptools stamps the build time and the files' times instead.
func NormalizeSdist(path string, epoch time.Time) error {
	members, err := readTarGz(path)
	if err != nil {
		return fmt.Errorf("pypi: normalise %s: %w", filepath.Base(path), err)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].hdr.Name < members[j].hdr.Name })
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	gz.ModTime = epoch
	tw := tar.NewWriter(gz)
	for _, m := range members {
		h := &tar.Header{Typeflag: m.hdr.Typeflag, Name: m.hdr.Name, Linkname: m.hdr.Linkname, Size: int64(len(m.data)),
			Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX}
		if m.hdr.Typeflag == tar.TypeDir || m.hdr.Mode&0o111 != 0 {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("pypi: normalise %s: %w", filepath.Base(path), err)
		}
		if _, err := tw.Write(m.data); err != nil {
			return fmt.Errorf("pypi: normalise %s: %w", filepath.Base(path), err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("pypi: normalise %s: %w", filepath.Base(path), err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("pypi: normalise %s: %w", filepath.Base(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("pypi: normalise %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pypi: normalise %s: %w", filepath.Base(path), err)
	}
	return nil
}

type member struct {
	hdr  *tar.Header
	data []byte
}

func readTarGz(path string) ([]member, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	var out []member
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir, tar.TypeSymlink:
		default:
			return nil, fmt.Errorf("member %s: unsupported type %q", h.Name, h.Typeflag)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out = append(out, member{hdr: h, data: data})
	}
}
