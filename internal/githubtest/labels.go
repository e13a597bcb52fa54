package githubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
)

// GitHub takes the labels to add as {"labels": [...]} or as a bare array,
// which go-github sends; this route, ahead of the object-only one,
// accepts both.
func init() {
	routes = append([]route{{"POST", regexp.MustCompile(`^/repos/([^/]+/[^/]+)/issues/(\d+)/labels$`), (*Server).addLabelsAnyForm}}, routes...)
}

func (s *Server) addLabelsAnyForm(w http.ResponseWriter, r *http.Request, m []string) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	var in struct {
		Labels []string `json:"labels"`
	}
	if json.Unmarshal(data, &in.Labels) != nil {
		if err := json.Unmarshal(data, &in); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": err.Error()})
			return
		}
	}
	n, _ := strconv.Atoi(m[2])
	p, ok := s.Pulls[n]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	for _, l := range in.Labels {
		if !contains(p.Labels, l) {
			p.Labels = append(p.Labels, l)
		}
	}
	out := []map[string]string{}
	for _, l := range p.Labels {
		out = append(out, map[string]string{"name": l})
	}
	writeJSON(w, http.StatusOK, out)
}
