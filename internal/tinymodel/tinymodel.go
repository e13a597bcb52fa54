// Package tinymodel makes the model directories of tpuci's generated
// models. A [[server]] profile with model = "tpuci:tiny-qwen3" serves a
// Qwen3-shaped model of a few small layers; with --load-format dummy its
// weights are random, so SGLang-JAX's real launch_server runs on a CPU
// with no model hub. Every file is a pure plan of the name (Lookup) except
// tokenizer.json, which the profile's python builds offline with the
// tokenizers package (Ensure); the directory is kept under a key of its
// content, so a changed plan makes a new one.
package tinymodel

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgl-project/tpuci/internal/proc"
)

// Scheme prefixes the model names tpuci generates.
const Scheme = "tpuci:"

// SpecFile is the tokenizer's training spec, kept in the model directory
// to say how tokenizer.json was made.
const SpecFile = "tpuci-tokenizer-spec.json"

//go:embed tokenizer.py
var tokenizerScript []byte

// Model is the plan of one generated model directory.
type Model struct {
	Name  string            // "tiny-qwen3"
	Vocab int               // token ids are below this (model and tokenizer agree)
	Files map[string][]byte // every file but tokenizer.json, by name
}

// Special tokens take the last ids of the vocabulary, in this order (the
// script checks it): random weights tend to emit id 0 at every step, which
// must decode to text for the benchmark client to see tokens.
var special = []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}

// specialID is the id of special[i] in a vocabulary of vocab tokens.
func specialID(vocab, i int) int { return vocab - len(special) + i }

// chatTemplate is Qwen's ChatML, which the accuracy evaluation's chat
// requests go through.
const chatTemplate = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}" +
	"{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

// qwen3Config is a Qwen3ForCausalLM config.json. head_dim stays 128:
// SGLang-JAX's attention pads heads to 128 lanes, and a smaller head_dim
// breaks o_proj's shapes.
type qwen3Config struct {
	Architectures         []string `json:"architectures"`
	ModelType             string   `json:"model_type"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	HeadDim               int      `json:"head_dim"`
	VocabSize             int      `json:"vocab_size"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	RMSNormEps            float64  `json:"rms_norm_eps"`
	RopeTheta             float64  `json:"rope_theta"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	TorchDtype            string   `json:"torch_dtype"`
	HiddenAct             string   `json:"hidden_act"`
	AttentionBias         bool     `json:"attention_bias"`
	BosTokenID            int      `json:"bos_token_id"`
	EosTokenID            int      `json:"eos_token_id"`
	PadTokenID            int      `json:"pad_token_id"`
}

// plans are the models tpuci knows, by name.
var plans = map[string]func() Model{
	"tiny-qwen3": func() Model {
		const vocab = 512
		eos := specialID(vocab, 2) // <|im_end|>: the end of a chat turn
		cfg := qwen3Config{
			Architectures: []string{"Qwen3ForCausalLM"}, ModelType: "qwen3",
			HiddenSize: 128, IntermediateSize: 256, NumHiddenLayers: 2,
			NumAttentionHeads: 2, NumKeyValueHeads: 1, HeadDim: 128,
			VocabSize: vocab, MaxPositionEmbeddings: 4096, RMSNormEps: 1e-6, RopeTheta: 1e6,
			TieWordEmbeddings: true, TorchDtype: "bfloat16", HiddenAct: "silu",
			BosTokenID: eos, EosTokenID: eos, PadTokenID: specialID(vocab, 0),
		}
		return chatModel("tiny-qwen3", cfg)
	},
}

// chatModel is the plan of a model with a ChatML tokenizer of cfg's vocabulary.
func chatModel(name string, cfg qwen3Config) Model {
	return Model{Name: name, Vocab: cfg.VocabSize, Files: map[string][]byte{
		"config.json": jsonFile(cfg),
		"generation_config.json": jsonFile(map[string]int{"bos_token_id": cfg.BosTokenID,
			"eos_token_id": cfg.EosTokenID, "pad_token_id": cfg.PadTokenID}),
		"tokenizer_config.json": jsonFile(map[string]any{
			"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": cfg.MaxPositionEmbeddings,
			"bos_token": nil, "eos_token": special[2], "pad_token": special[0],
			"chat_template": chatTemplate,
		}),
		SpecFile: jsonFile(map[string]any{"vocab_size": cfg.VocabSize, "special_tokens": special, "corpus": corpus()}),
	}}
}

// corpus is what the tokenizer's merges are learnt from: English words,
// digits and arithmetic, the stuff of the evaluation prompts.
func corpus() []string {
	words := strings.Fields("the quick brown fox jumps over a lazy dog question answer is what which " +
		"how many much each total work out this word problem show your reasoning then write final " +
		"integer alone on last line after Answer: one two three four five six seven eight nine ten " +
		"0 1 2 3 4 5 6 7 8 9 10 12 24 100 + - * / = $ .")
	lines := make([]string, len(words))
	for i := range words {
		lines[i] = strings.Join(append(slices.Clone(words[i:]), words[:i]...), " ")
	}
	return lines
}

func jsonFile(v any) []byte {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return append(data, '\n')
}

// Is reports whether model names a generated model (it has the scheme).
func Is(model string) bool { return strings.HasPrefix(model, Scheme) }

// Names lists the generated models, with the scheme.
func Names() []string {
	var names []string
	for n := range plans {
		names = append(names, Scheme+n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the plan of "tpuci:<name>".
func Lookup(model string) (Model, error) {
	plan, ok := plans[strings.TrimPrefix(model, Scheme)]
	if !Is(model) || !ok {
		return Model{}, fmt.Errorf("unknown generated model %q (known: %s)", model, strings.Join(Names(), ", "))
	}
	return plan(), nil
}

// Key is a hash of everything the directory is made from.
func (m Model) Key() string {
	h := sha256.New()
	for _, name := range m.fileNames() {
		fmt.Fprintf(h, "%s %d\n", name, len(m.Files[name]))
		h.Write(m.Files[name])
	}
	h.Write(tokenizerScript)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func (m Model) fileNames() []string {
	names := make([]string, 0, len(m.Files))
	for n := range m.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Dir is where Ensure keeps the model under cacheDir.
func (m Model) Dir(cacheDir string) string {
	return filepath.Join(cacheDir, m.Name+"-"+m.Key())
}

// Ensure returns m's directory under cacheDir, making it first when it is
// missing: the planned files, then tokenizer.json built by python (which
// needs the tokenizers package). The directory appears whole or not at
// all, so an interrupted build leaves nothing to reuse by mistake.
func Ensure(ctx context.Context, python, cacheDir string, m Model) (dir string, built bool, err error) {
	dir = m.Dir(cacheDir)
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
		return dir, false, nil
	}
	where := "model " + Scheme + m.Name
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", false, fmt.Errorf("%s: create %s: %w", where, cacheDir, err)
	}
	tmp, err := os.MkdirTemp(cacheDir, ".build-"+m.Name+"-")
	if err != nil {
		return "", false, fmt.Errorf("%s: create a build directory: %w", where, err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; what a failed build left otherwise
	for name, data := range m.Files {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", false, fmt.Errorf("%s: write %s: %w", where, name, err)
		}
	}
	script := filepath.Join(tmp, ".tpuci-tokenizer.py")
	if err := os.WriteFile(script, tokenizerScript, 0o644); err != nil {
		return "", false, fmt.Errorf("%s: write the tokenizer script: %w", where, err)
	}
	var out bytes.Buffer
	o, err := proc.Run(ctx, proc.Cmd{
		Argv: []string{python, script, filepath.Join(tmp, SpecFile), tmp}, Dir: tmp,
		Timeout: 5 * time.Minute, Stdout: &out,
	})
	if err != nil {
		var ee *proc.ExitError
		if errors.As(err, &ee) {
			err = errors.New(o.Describe()) // the command line is said already
		}
		return "", false, fmt.Errorf("%s: build tokenizer.json with %s (it needs the tokenizers package): %w%s",
			where, python, err, lastLines(out.String(), 5))
	}
	if err := os.Remove(script); err != nil {
		return "", false, fmt.Errorf("%s: %w", where, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "tokenizer.json")); serr == nil {
			return dir, false, nil // a concurrent run made it first
		}
		return "", false, fmt.Errorf("%s: move into place: %w", where, err)
	}
	return dir, true, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	lines = lines[max(0, len(lines)-n):]
	return "\n    | " + strings.Join(lines, "\n    | ")
}
