// Package manifest writes multi-arch manifest lists with
// go-containerregistry: the list is rebuilt from the registry's per-arch
// tags of every configured architecture each time (never appended to),
// each child's platform is checked against its tag, and the written list
// is read back.
package manifest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Registry reaches one registry.
type Registry struct {
	Auth      authn.Authenticator // nil: anonymous
	Transport http.RoundTripper   // nil: default
}

func (r Registry) opts(ctx context.Context) []remote.Option {
	o := []remote.Option{remote.WithContext(ctx)}
	if r.Auth != nil {
		o = append(o, remote.WithAuth(r.Auth))
	}
	if r.Transport != nil {
		o = append(o, remote.WithTransport(r.Transport))
	}
	return o
}

// Result is a written list.
type Result struct {
	Digest    string            `json:"digest"`
	MediaType string            `json:"media_type"`
	Children  map[string]string `json:"children"` // arch -> child manifest digest
	Tags      []string          `json:"tags"`
	Unchanged []string          `json:"unchanged,omitempty"` // tags that held this list already: not rewritten
}

// Publish builds a list from the per-arch tags (arch -> repo:tag, all in
// one repository) and writes it to every target tag, in order. Nothing is
// written when any per-arch tag is missing or mislabelled.
func Publish(ctx context.Context, r Registry, archTags map[string]string, targets []string) (Result, error) {
	return PublishKeeping(ctx, r, archTags, targets, nil)
}

// PublishKeeping is Publish that leaves a target holding the same list
// untouched and refuses to change an immutable target that holds
// another; a registry error while checking fails.
func PublishKeeping(ctx context.Context, r Registry, archTags map[string]string, targets, immutable []string) (Result, error) {
	if len(archTags) == 0 || len(targets) == 0 {
		return Result{}, errors.New("manifest: nothing to publish")
	}
	idx, repo, res, err := assemble(ctx, r, archTags)
	if err != nil {
		return Result{}, err
	}
	for _, t := range targets {
		unchanged, err := writeKeeping(ctx, r, idx, repo, t, slices.Contains(immutable, t))
		if err != nil {
			return res, err
		}
		res.Tags = append(res.Tags, t)
		if unchanged {
			res.Unchanged = append(res.Unchanged, t)
		}
	}
	return res, nil
}

// assemble reads every arch's image and builds the list of them (a
// Docker manifest list when every child is schema 2, else an OCI index);
// repo is the one repository they are in.
func assemble(ctx context.Context, r Registry, archTags map[string]string) (idx v1.ImageIndex, repo string, res Result, err error) {
	arches := make([]string, 0, len(archTags))
	for a := range archTags {
		arches = append(arches, a)
	}
	sort.Strings(arches)
	var adds []mutate.IndexAddendum
	res = Result{Children: map[string]string{}}
	oci := 0
	for _, arch := range arches {
		add, digest, err := archChild(ctx, r, arch, archTags[arch], &repo)
		if err != nil {
			return nil, "", Result{}, err
		}
		if add.Descriptor.MediaType != types.DockerManifestSchema2 {
			oci++
		}
		res.Children[arch] = digest
		adds = append(adds, add)
	}
	mt := types.OCIImageIndex
	if oci == 0 {
		mt = types.DockerManifestList // match schema-2 children, as the Docker CLI does
	}
	idx = mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt)
	digest, err := idx.Digest()
	if err != nil {
		return nil, "", Result{}, fmt.Errorf("manifest: %w", err)
	}
	res.Digest, res.MediaType = digest.String(), string(mt)
	return idx, repo, res, nil
}

// archChild reads the single-platform image a per-arch tag holds and
// checks its platform; *repo is set by the first tag and checked
// against by the others.
func archChild(ctx context.Context, r Registry, arch, archTag string, repo *string) (mutate.IndexAddendum, string, error) {
	var none mutate.IndexAddendum
	ref, err := name.ParseReference(archTag)
	if err != nil {
		return none, "", fmt.Errorf("manifest: %s: %w", archTag, err)
	}
	if *repo == "" {
		*repo = ref.Context().String()
	} else if ref.Context().String() != *repo {
		return none, "", fmt.Errorf("manifest: %s is not in %s: a list refers to one repository", ref, *repo)
	}
	desc, err := remote.Get(ref, r.opts(ctx)...)
	if err != nil {
		return none, "", fmt.Errorf("manifest: per-arch tag %s: %w", ref, err)
	}
	if desc.MediaType.IsIndex() {
		return none, "", fmt.Errorf("manifest: per-arch tag %s is itself a list (%s); push single-platform images per arch", ref, desc.MediaType)
	}
	img, err := desc.Image()
	if err != nil {
		return none, "", fmt.Errorf("manifest: per-arch tag %s: %w", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return none, "", fmt.Errorf("manifest: config of %s: %w", ref, err)
	}
	if cfg.OS != "linux" || cfg.Architecture != arch {
		return none, "", fmt.Errorf("manifest: %s is %s/%s, but its tag says linux/%s", ref, cfg.OS, cfg.Architecture, arch)
	}
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		MediaType: desc.MediaType,
		Platform:  &v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant},
	}}, desc.Digest.String(), nil
}

// writeKeeping writes idx to target t and reads it back, unless t holds
// it already (unchanged); an immutable t that holds another list is an
// error.
func writeKeeping(ctx context.Context, r Registry, idx v1.ImageIndex, repo, t string, immutable bool) (unchanged bool, err error) {
	digest, err := idx.Digest()
	if err != nil {
		return false, fmt.Errorf("manifest: %w", err)
	}
	tag, err := name.NewTag(t)
	if err != nil {
		return false, fmt.Errorf("manifest: %s: %w", t, err)
	}
	if tag.Context().String() != repo {
		return false, fmt.Errorf("manifest: %s is not in %s", t, repo)
	}
	cur, found, err := Digest(ctx, r, t)
	if err != nil {
		return false, err
	}
	if found && cur == digest.String() {
		return true, nil
	}
	if found && immutable {
		return false, fmt.Errorf("manifest: %s already holds %s, not this release's list %s: a release tag is never overwritten", t, cur, digest)
	}
	if err := remote.WriteIndex(tag, idx, r.opts(ctx)...); err != nil {
		return false, fmt.Errorf("manifest: write %s: %w", t, err)
	}
	got, err := remote.Head(tag, r.opts(ctx)...)
	if err != nil {
		return false, fmt.Errorf("manifest: read back %s: %w", t, err)
	}
	if got.Digest != digest {
		return false, fmt.Errorf("manifest: %s reads back as %s, wrote %s", t, got.Digest, digest)
	}
	return false, nil
}

// Digest returns the digest a reference resolves to; found is false when
// the registry does not have it.
func Digest(ctx context.Context, r Registry, ref string) (digest string, found bool, err error) {
	rf, err := name.ParseReference(ref)
	if err != nil {
		return "", false, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	d, err := remote.Head(rf, r.opts(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	return d.Digest.String(), true, nil
}

// Labels reads the config labels of the single-platform image a
// reference resolves to; found is false when the registry lacks it.
func Labels(ctx context.Context, r Registry, ref string) (digest string, labels map[string]string, found bool, err error) {
	rf, err := name.ParseReference(ref)
	if err != nil {
		return "", nil, false, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	desc, err := remote.Get(rf, r.opts(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return "", nil, false, nil
		}
		return "", nil, false, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	if desc.MediaType.IsIndex() {
		return desc.Digest.String(), nil, true, nil
	}
	img, err := desc.Image()
	if err != nil {
		return "", nil, false, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", nil, false, fmt.Errorf("manifest: config of %s: %w", ref, err)
	}
	return desc.Digest.String(), cfg.Config.Labels, true, nil
}

// Delete removes what a tag points to from the registry (which must have
// deletion enabled); a missing tag is not an error.
func Delete(ctx context.Context, r Registry, ref string) error {
	d, found, err := Digest(ctx, r, ref)
	if err != nil || !found {
		return err
	}
	rf, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("manifest: %s: %w", ref, err)
	}
	dr := rf.Context().Digest(d)
	if err := remote.Delete(dr, r.opts(ctx)...); err != nil && !isNotFound(err) {
		return fmt.Errorf("manifest: delete %s: %w", dr, err)
	}
	return nil
}

// Tags lists a repository's tags (none when the repository does not exist).
func Tags(ctx context.Context, r Registry, repo string) ([]string, error) {
	rp, err := name.NewRepository(repo)
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", repo, err)
	}
	tags, err := remote.List(rp, r.opts(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("manifest: list tags of %s: %w", repo, err)
	}
	return tags, nil
}

// Platforms lists the platforms of a list (os/arch), for reports and tests.
func Platforms(ctx context.Context, r Registry, ref string) ([]string, error) {
	rf, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	idx, err := remote.Index(rf, r.opts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("manifest: %s: %w", ref, err)
	}
	var out []string
	for _, d := range m.Manifests {
		if d.Platform != nil {
			out = append(out, strings.TrimSuffix(d.Platform.OS+"/"+d.Platform.Architecture+"/"+d.Platform.Variant, "/"))
		}
	}
	return out, nil
}

func isNotFound(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound {
			return true
		}
		for _, d := range te.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
				return true
			}
		}
	}
	return false
}
