package example

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"
)

var updateMMMU = flag.Bool("update-mmmu", false, "rewrite repo/eval_data/mmmu/mmmu.jsonl from the generator")

const mmmuSample = "repo/eval_data/mmmu/mmmu.jsonl"

// The bundled MMMU-shaped sample is generated: small PNG images (solid
// colours, stripes) with questions about them, so tests and the example
// run offline. Regenerate with go test ./internal/example -run MMMU -update-mmmu.
func TestMMMUSampleIsGenerated(t *testing.T) {
	want := generateMMMU(t, 120)
	if *updateMMMU {
		if err := os.WriteFile(mmmuSample, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(mmmuSample)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the generator (go test ./internal/example -run MMMU -update-mmmu)", mmmuSample)
	}
}

var palette = []struct {
	name string
	c    color.RGBA
}{
	{"red", color.RGBA{220, 30, 30, 255}}, {"green", color.RGBA{30, 180, 60, 255}},
	{"blue", color.RGBA{40, 70, 220, 255}}, {"yellow", color.RGBA{240, 220, 40, 255}},
	{"purple", color.RGBA{140, 50, 170, 255}}, {"orange", color.RGBA{250, 140, 20, 255}},
}

var subjects = []string{"Art", "Design", "Physics", "Math", "Geography", "Biology"}

func pngOf(t *testing.T, img image.Image) string {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func solid(c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func stripes(n int, c color.RGBA) *image.RGBA {
	img := solid(color.RGBA{255, 255, 255, 255})
	width := 16 / (2*n + 1)
	for s := 0; s < n; s++ {
		x0 := width * (2*s + 1)
		for y := 0; y < 16; y++ {
			for x := x0; x < x0+width; x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	return img
}

type mmmuRow struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Options  []string `json:"options"`
	Answer   string   `json:"answer"`
	Subject  string   `json:"subject"`
	Images   []string `json:"images"`
}

// generateMMMU makes n questions: colour (one image), stripes (one image)
// and which-of-two (two images), options rotated so answers spread over
// the letters.
func generateMMMU(t *testing.T, n int) []byte {
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		subject := subjects[i%len(subjects)]
		row := mmmuRow{ID: fmt.Sprintf("validation_%s_%d", subject, i+1), Subject: subject}
		p := palette[i%len(palette)]
		switch i % 3 {
		case 0:
			row.Question = fmt.Sprintf("Item %d (%s): which colour fills <image 1> completely?", i+1, subject)
			row.Images = []string{pngOf(t, solid(p.c))}
			for k := 0; k < 4; k++ {
				row.Options = append(row.Options, palette[(i+k)%len(palette)].name)
			}
		case 1:
			count := 1 + i%4
			row.Question = fmt.Sprintf("Item %d (%s): how many %s vertical stripes does <image 1> show?", i+1, subject, p.name)
			row.Images = []string{pngOf(t, stripes(count, p.c))}
			for k := 1; k <= 4; k++ {
				row.Options = append(row.Options, fmt.Sprint(k))
			}
		default:
			other := palette[(i+2)%len(palette)]
			row.Question = fmt.Sprintf("Item %d (%s): which image is %s, <image 1> or <image 2>?", i+1, subject, p.name)
			first := i%2 == 0
			a, b := solid(p.c), solid(other.c)
			if !first {
				a, b = b, a
			}
			row.Images = []string{pngOf(t, a), pngOf(t, b)}
			row.Options = []string{"<image 1>", "<image 2>", "both", "neither"}
		}
		row.Answer = answerOf(i, row.Options)
		line, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(append(line, '\n'))
	}
	return out.Bytes()
}

func answerOf(i int, options []string) string {
	switch i % 3 {
	case 0:
		return "A" // the fill colour is listed first
	case 1:
		return string(rune('A' + i%4)) // 1 + i%4 stripes
	}
	if i%2 == 0 {
		return "A"
	}
	return "B"
}
