package eval

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// MMMU: multiple-choice questions about images (college exams across 30
// subjects). Each question carries its images, sent as base64 data URLs in
// image_url content parts of the chat request, as SGLang-JAX's multimodal
// evals send them.

// mmmuPrompt tells the model where the images are; "<image N>" markers in
// the question refer to them in order.
const mmmuPrompt = "The images attached to this message are, in order, the images the question refers to as <image 1>, <image 2>, ...\n\n"

// pngMagic starts every PNG file.
const pngMagic = "\x89PNG\r\n\x1a\n"

func init() {
	register(&Task{
		Name: "mmmu", Title: "MMMU",
		Files: []Source{{Path: "mmmu.jsonl", Get: "export MMMU's validation split as JSON lines with base64 PNG images: " +
			"python3 -c \"import base64,io,json,ast,datasets; " +
			"f=open('mmmu.jsonl','w'); " +
			"[f.write(json.dumps({'id':r['id'],'question':r['question'],'options':ast.literal_eval(r['options']),'answer':r['answer'],'subject':r['id'].split('_')[1],'images':[base64.b64encode((lambda b:(r[k].save(b,'PNG'),b.getvalue())[1])(io.BytesIO())).decode() for k in ['image_%d'%i for i in range(1,8)] if r[k] is not None]})+'\\\\n') " +
			"for s in datasets.get_dataset_config_names('MMMU/MMMU') for r in datasets.load_dataset('MMMU/MMMU',s,split='validation') if r['question_type']=='multiple-choice']\""}},
		Layout:   "JSON lines {id, question, options: [2..9 strings], answer: letter, subject, images: [base64 PNG, 1..7]} (MMMU validation split, multiple choice)",
		load:     loadMMMU,
		prompt:   func(ex Example) string { return mmmuPrompt + MultichoicePrompt(ex.Question, ex.Choices) },
		extract:  func(r string) string { return ExtractChoice(r, mmmuRE) },
		grade:    func(x, a string) bool { return x == a },
		category: func(ex Example) string { return ex.Subject },
	})
}

var mmmuRE = multichoiceRE(9)

// loadMMMU reads MMMU rows; every image must be a base64 PNG.
func loadMMMU(path string, into *[]Example) error {
	return jsonLines(path, func(line int, obj map[string]json.RawMessage) error {
		q, err := need(obj, "question")
		if err != nil {
			return err
		}
		var opts []string
		if err := json.Unmarshal(obj["options"], &opts); err != nil || len(opts) < 2 || len(opts) > 9 {
			return fmt.Errorf("field options: want a list of 2 to 9 strings")
		}
		ans, _ := text(obj, "answer")
		ans = strings.ToUpper(strings.TrimSpace(ans))
		if len(ans) != 1 || ans[0] < 'A' || int(ans[0]-'A') >= len(opts) {
			return fmt.Errorf("field answer: want a letter among the %d options, got %q", len(opts), ans)
		}
		var images []string
		if err := json.Unmarshal(obj["images"], &images); err != nil || len(images) == 0 || len(images) > 7 {
			return fmt.Errorf("field images: want a list of 1 to 7 base64 PNG images")
		}
		for i, img := range images {
			data, err := base64.StdEncoding.DecodeString(img)
			if err != nil || !strings.HasPrefix(string(data), pngMagic) {
				return fmt.Errorf("field images[%d]: not a base64 PNG image", i)
			}
		}
		subject, _ := text(obj, "subject")
		*into = append(*into, Example{Source: fmt.Sprintf("%s:%d", path, line), Question: q, Choices: opts, Answer: ans, Subject: subject, Images: images})
		return nil
	})
}
