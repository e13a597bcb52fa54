package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// chatClient asks an OpenAI-compatible server one question at a time.
type chatClient struct {
	base        string // http://host:port, without /v1
	model       string
	maxTokens   int
	temperature float64
	timeout     time.Duration
	retries     int
	backoff     time.Duration
	http        *http.Client
}

// transportError is a failure to talk to the server at all (refused,
// reset, timed out, cut short); only these are retried.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
	MaxTokens   int           `json:"max_tokens,omitempty"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"` // a string, or content parts with images
}

// contentPart is one part of a multimodal message: text or an image.
type contentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

type imageURL struct {
	URL string `json:"url"`
}

// content is the prompt alone, or the prompt followed by its images as
// base64 data URLs, the form OpenAI-compatible servers accept.
func content(prompt string, images []string) any {
	if len(images) == 0 {
		return prompt
	}
	parts := []contentPart{{Type: "text", Text: prompt}}
	for _, img := range images {
		parts = append(parts, contentPart{Type: "image_url", ImageURL: &imageURL{URL: "data:image/png;base64," + img}})
	}
	return parts
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content          *string `json:"content"`
			ReasoningContent *string `json:"reasoning_content"`
		} `json:"message"`
	} `json:"choices"`
}

// ask sends one prompt, retrying transport errors with exponential
// backoff. It returns the response text (reasoning first, as SGLang-JAX's
// sampler joins them), the number of attempts, and an error: a
// *transportError when every attempt failed to reach the server, any
// other error for an answer the server did give (HTTP status, bad JSON).
func (c *chatClient) ask(ctx context.Context, prompt string, images []string) (string, int, error) {
	body, err := json.Marshal(chatRequest{
		Model: c.model, Messages: []chatMessage{{Role: "user", Content: content(prompt, images)}},
		Temperature: c.temperature, MaxTokens: c.maxTokens,
	})
	if err != nil {
		return "", 0, err
	}
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		text, err := c.once(ctx, body)
		var te *transportError
		if err == nil || !errors.As(err, &te) || ctx.Err() != nil || attempt > c.retries {
			return text, attempt, err
		}
		select {
		case <-ctx.Done():
			return "", attempt, err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (c *chatClient) once(ctx context.Context, body []byte) (string, error) {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.base+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer EMPTY")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", &transportError{err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", &transportError{fmt.Errorf("read response: %w", err)}
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(data))
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		return "", fmt.Errorf("response is not chat completion JSON: %v: %s", err, snippet(data))
	}
	if len(cr.Choices) == 0 {
		return "", fmt.Errorf("response has no choices: %s", snippet(data))
	}
	m := cr.Choices[0].Message
	text := ""
	if m.Content != nil {
		text = *m.Content
	}
	if m.ReasoningContent != nil && *m.ReasoningContent != "" {
		text = *m.ReasoningContent + "\n" + text
	}
	return text, nil
}

// servedModel asks /v1/models for the first model id.
func servedModel(ctx context.Context, hc *http.Client, base string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/models", nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("list models: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("list models: HTTP %d: %s", resp.StatusCode, snippet(data))
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &list); err != nil || len(list.Data) == 0 || list.Data[0].ID == "" {
		return "", fmt.Errorf("list models: no model id in %s", snippet(data))
	}
	return list.Data[0].ID, nil
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
