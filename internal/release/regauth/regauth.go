// Package regauth finds registry credentials: a username and password
// from configured environment variables first, then the Docker config
// (~/.docker/config.json or $DOCKER_CONFIG, with credential helpers), and
// hands them to the engine (X-Registry-Auth) and to go-containerregistry.
package regauth

import (
	"fmt"

	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// Cred is one registry's credentials. Secrets never appear in String.
type Cred struct {
	Registry      string
	Username      string
	Password      string
	IdentityToken string
	Source        string // "env USER/PASS", "docker config", "anonymous"
}

// String says where the credentials came from, never what they are.
func (c Cred) String() string {
	if c.Username == "" && c.IdentityToken == "" {
		return c.Registry + ": anonymous"
	}
	return fmt.Sprintf("%s: user %s from %s", c.Registry, c.Username, c.Source)
}

// Secrets lists the values to mask in logs.
func (c Cred) Secrets() []string {
	var s []string
	for _, v := range []string{c.Password, c.IdentityToken} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// Resolve finds credentials for the registry of image (e.g.
// docker.io/lmsysorg/sglang-jax). userEnv and passEnv name environment
// variables; when both are set they win over the Docker config.
func Resolve(image string, getenv func(string) string, userEnv, passEnv string) (Cred, error) {
	repo, err := name.NewRepository(image)
	if err != nil {
		return Cred{}, fmt.Errorf("regauth: %s: %w", image, err)
	}
	reg := repo.Registry
	c := Cred{Registry: reg.RegistryStr()}
	if userEnv != "" && passEnv != "" {
		u, p := getenv(userEnv), getenv(passEnv)
		switch {
		case u != "" && p != "":
			c.Username, c.Password, c.Source = u, p, "env "+userEnv+"/"+passEnv
			return c, nil
		case u != "" || p != "":
			return Cred{}, fmt.Errorf("regauth: only one of %s and %s is set; set both or neither", userEnv, passEnv)
		}
	}
	a, err := authn.DefaultKeychain.Resolve(reg)
	if err != nil {
		return Cred{}, fmt.Errorf("regauth: docker config for %s: %w", reg.RegistryStr(), err)
	}
	cfg, err := a.Authorization()
	if err != nil {
		return Cred{}, fmt.Errorf("regauth: docker config for %s: %w", reg.RegistryStr(), err)
	}
	c.Username, c.Password, c.IdentityToken = cfg.Username, cfg.Password, cfg.IdentityToken
	if c.Username != "" || c.IdentityToken != "" {
		c.Source = "docker config"
	} else {
		c.Source = "anonymous"
	}
	return c, nil
}

// EngineAuth is the X-Registry-Auth value for the engine ("" when anonymous).
func (c Cred) EngineAuth() (string, error) {
	if c.Username == "" && c.IdentityToken == "" {
		return "", nil
	}
	s, err := registry.EncodeAuthConfig(registry.AuthConfig{Username: c.Username, Password: c.Password,
		IdentityToken: c.IdentityToken, ServerAddress: c.serverAddress()})
	if err != nil {
		return "", fmt.Errorf("regauth: encode: %w", err)
	}
	return s, nil
}

// serverAddress is how the engine names Docker Hub in auth configs.
func (c Cred) serverAddress() string {
	if c.Registry == name.DefaultRegistry {
		return "https://index.docker.io/v1/"
	}
	return c.Registry
}

// Authenticator is the credentials for go-containerregistry.
func (c Cred) Authenticator() authn.Authenticator {
	if c.Username == "" && c.IdentityToken == "" {
		return authn.Anonymous
	}
	return authn.FromConfig(authn.AuthConfig{Username: c.Username, Password: c.Password, IdentityToken: c.IdentityToken})
}
