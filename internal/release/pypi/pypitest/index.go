// Package pypitest is a small PyPI-compatible index on 127.0.0.1 for
// tests: the legacy upload API twine speaks (multipart POST with Basic
// __token__ auth) and the JSON API (/pypi/<name>/<version>/json). Like
// PyPI, re-uploading identical bytes succeeds as a no-op and different
// bytes under an existing file name are refused with 400 "File already
// exists".
package pypitest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// File is one stored distribution.
type File struct {
	Name     string // normalised project name
	Version  string
	Filename string
	FileType string // sdist | bdist_wheel
	SHA256   string
	Content  []byte
	Fields   map[string]string // form fields as sent
}

// Index is the running fake.
type Index struct {
	URL    string // root, e.g. http://127.0.0.1:PORT
	Upload string // URL + "/legacy/"
	JSON   string // URL + "/pypi"
	Token  string

	srv *http.Server
	ln  net.Listener
	mu  sync.Mutex
	// files by normalised name, then version.
	files    map[string]map[string][]*File
	uploads  int
	rejected []string
}

// Start serves a fresh index on 127.0.0.1 that accepts token.
func Start(token string) (*Index, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pypitest: listen: %w", err)
	}
	ix := &Index{URL: "http://" + ln.Addr().String(), Token: token, ln: ln, files: map[string]map[string][]*File{}}
	ix.Upload, ix.JSON = ix.URL+"/legacy/", ix.URL+"/pypi"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /legacy/", ix.upload)
	mux.HandleFunc("GET /pypi/{name}/{version}/json", ix.release)
	ix.srv = &http.Server{Handler: mux}
	go func() { _ = ix.srv.Serve(ln) }()
	return ix, nil
}

// Close stops the server.
func (ix *Index) Close() { _ = ix.srv.Close() }

var nameSeps = regexp.MustCompile(`[-_.]+`)

func normalize(n string) string { return strings.ToLower(nameSeps.ReplaceAllString(n, "-")) }

// Put stores a file directly, as if uploaded earlier (e.g. other bytes
// under the same name).
func (ix *Index) Put(name, version, filename string, content []byte) {
	sum := sha256.Sum256(content)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.store(&File{Name: normalize(name), Version: version, Filename: filename, SHA256: hex.EncodeToString(sum[:]), Content: content})
}

func (ix *Index) store(f *File) {
	if ix.files[f.Name] == nil {
		ix.files[f.Name] = map[string][]*File{}
	}
	ix.files[f.Name][f.Version] = append(ix.files[f.Name][f.Version], f)
}

// Files returns what the index holds for name at version.
func (ix *Index) Files(name, version string) []File {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var out []File
	for _, f := range ix.files[normalize(name)][version] {
		out = append(out, *f)
	}
	return out
}

// Uploads counts accepted POSTs that stored a new file.
func (ix *Index) Uploads() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.uploads
}

// Rejected lists why requests were refused.
func (ix *Index) Rejected() []string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return append([]string(nil), ix.rejected...)
}

func (ix *Index) refuse(w http.ResponseWriter, code int, msg string) {
	ix.mu.Lock()
	ix.rejected = append(ix.rejected, fmt.Sprintf("%d %s", code, msg))
	ix.mu.Unlock()
	// twine shows the reason phrase; PyPI puts the message there.
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}

func (ix *Index) upload(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != "__token__" || pass != ix.Token {
		ix.refuse(w, http.StatusForbidden, "Invalid or non-existent authentication information.")
		return
	}
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		ix.refuse(w, http.StatusBadRequest, "Invalid form: "+err.Error())
		return
	}
	fields := map[string]string{}
	for k, v := range r.MultipartForm.Value {
		if len(v) > 0 {
			fields[k] = v[0]
		}
	}
	for _, k := range []string{":action", "protocol_version", "name", "version", "filetype", "metadata_version"} {
		if fields[k] == "" {
			ix.refuse(w, http.StatusBadRequest, "Missing field "+k)
			return
		}
	}
	if fields[":action"] != "file_upload" || fields["protocol_version"] != "1" {
		ix.refuse(w, http.StatusBadRequest, "Unsupported action or protocol")
		return
	}
	fh, hdr, err := r.FormFile("content")
	if err != nil {
		ix.refuse(w, http.StatusBadRequest, "Missing file content")
		return
	}
	defer fh.Close()
	content, err := io.ReadAll(fh)
	if err != nil {
		ix.refuse(w, http.StatusBadRequest, "Unreadable content")
		return
	}
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	if d := fields["sha256_digest"]; d != "" && d != sha {
		ix.refuse(w, http.StatusBadRequest, "The digest supplied does not match a digest calculated from the uploaded file.")
		return
	}
	if d := fields["md5_digest"]; d != "" && fields["sha256_digest"] == "" {
		m := md5.Sum(content)
		if d != hex.EncodeToString(m[:]) {
			ix.refuse(w, http.StatusBadRequest, "The digest supplied does not match a digest calculated from the uploaded file.")
			return
		}
	}
	f := &File{Name: normalize(fields["name"]), Version: fields["version"], Filename: hdr.Filename, FileType: fields["filetype"],
		SHA256: sha, Content: content, Fields: fields}
	ix.mu.Lock()
	for _, old := range ix.files[f.Name][f.Version] {
		if old.Filename == f.Filename {
			same := old.SHA256 == f.SHA256
			ix.mu.Unlock()
			if same { // PyPI: identical re-upload is a no-op success
				w.WriteHeader(http.StatusOK)
				return
			}
			ix.refuse(w, http.StatusBadRequest, "File already exists. See https://pypi.org/help/#file-name-reuse for more information.")
			return
		}
	}
	ix.store(f)
	ix.uploads++
	ix.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (ix *Index) release(w http.ResponseWriter, r *http.Request) {
	name, version := normalize(r.PathValue("name")), r.PathValue("version")
	ix.mu.Lock()
	files := append([]*File(nil), ix.files[name][version]...)
	ix.mu.Unlock()
	if len(files) == 0 {
		http.Error(w, `{"message": "Not Found"}`, http.StatusNotFound)
		return
	}
	type url struct {
		Filename    string            `json:"filename"`
		PackageType string            `json:"packagetype"`
		Size        int               `json:"size"`
		Digests     map[string]string `json:"digests"`
		URL         string            `json:"url"`
	}
	doc := struct {
		Info struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"info"`
		URLs []url `json:"urls"`
	}{}
	doc.Info.Name, doc.Info.Version = name, version
	for _, f := range files {
		doc.URLs = append(doc.URLs, url{Filename: f.Filename, PackageType: f.FileType, Size: len(f.Content),
			Digests: map[string]string{"sha256": f.SHA256}, URL: ix.URL + "/files/" + f.Filename})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}
