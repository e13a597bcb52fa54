package regauth

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	auth := base64.StdEncoding.EncodeToString([]byte("cfguser:cfgpass"))
	cfg := `{"auths":{"127.0.0.1:5000":{"auth":"` + auth + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	c, err := Resolve("127.0.0.1:5000/x", getenv, "REG_USER", "REG_PASS")
	if err != nil || c.Username != "cfguser" || c.Password != "cfgpass" || c.Source != "docker config" {
		t.Fatalf("docker config: %+v %v", c, err)
	}
	if strings.Contains(c.String(), "cfgpass") {
		t.Error("String shows the password")
	}
	env["REG_USER"], env["REG_PASS"] = "envuser", "envpass"
	c, err = Resolve("127.0.0.1:5000/x", getenv, "REG_USER", "REG_PASS")
	if err != nil || c.Username != "envuser" || c.Password != "envpass" {
		t.Fatalf("env: %+v %v", c, err)
	}
	ea, err := c.EngineAuth()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(ea)
	var got map[string]string
	_ = json.Unmarshal(raw, &got)
	if got["username"] != "envuser" || got["serveraddress"] != "127.0.0.1:5000" {
		t.Errorf("engine auth %s", raw)
	}
	delete(env, "REG_PASS")
	if _, err := Resolve("127.0.0.1:5000/x", getenv, "REG_USER", "REG_PASS"); err == nil {
		t.Error("half-set env accepted")
	}
	c, err = Resolve("other.example:5000/x", func(string) string { return "" }, "", "")
	if err != nil || c.Source != "anonymous" {
		t.Errorf("anonymous: %+v %v", c, err)
	}
	if ea, err := c.EngineAuth(); ea != "" || err != nil {
		t.Errorf("anonymous engine auth %q %v", ea, err)
	}
	c, _ = Resolve("lmsysorg/sglang-jax", func(string) string { return "x" }, "U", "P")
	if c.serverAddress() != "https://index.docker.io/v1/" {
		t.Errorf("docker hub address %s", c.serverAddress())
	}
}
