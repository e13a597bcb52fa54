package notify

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Poster posts messages to a webhook.
type Poster struct {
	URL      string // the webhook: a secret, never in an error or a log
	Client   *http.Client
	Attempts int           // tries in all; 0: 4
	Backoff  time.Duration // before the second try, doubling; 0: 2s
	MaxWait  time.Duration // the longest wait, Retry-After included; 0: 60s
	// Sleep waits between tries; nil: a timer that ctx can stop.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Post sends m. A 429 or 5xx answer and a failed connection are retried
// after the backoff, or after the answer's Retry-After (seconds or an
// HTTP date) when it says longer, up to MaxWait; any other answer but
// 2xx is final. The error never holds the webhook's URL.
func (p Poster) Post(ctx context.Context, m *Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("notify: encode the message: %w", err)
	}
	attempts, wait, maxWait := cmp.Or(p.Attempts, 4), cmp.Or(p.Backoff, 2*time.Second), cmp.Or(p.MaxWait, time.Minute)
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var last error
	for try := 1; try <= attempts; try++ {
		retry, after, err := p.once(ctx, client, body)
		if err == nil {
			return nil
		}
		last = fmt.Errorf("attempt %d of %d: %w", try, attempts, err)
		if !retry || try == attempts {
			break
		}
		d := min(max(wait, after), maxWait)
		if err := sleep(ctx, d); err != nil {
			break
		}
		wait *= 2
	}
	return fmt.Errorf("notify: post to the webhook: %s", p.redact(last.Error()))
}

// once posts once: whether a failure is worth a retry, and how long the
// answer asked to wait.
func (p Poster) once(ctx context.Context, client *http.Client, body []byte) (retry bool, after time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return false, 0, errors.New("the webhook URL is not a valid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		return ctx.Err() == nil, 0, err
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return false, 0, nil
	}
	err = fmt.Errorf("HTTP %d %s", resp.StatusCode, strings.TrimSpace(string(bytes.ToValidUTF8(text, nil))))
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return retry, retryAfter(resp.Header.Get("Retry-After"), time.Now()), err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redact removes the webhook's URL, and its path (the secret part of
// Slack's), from a text.
func (p Poster) redact(s string) string {
	if p.URL == "" {
		return s
	}
	s = strings.ReplaceAll(s, p.URL, "***")
	if u, err := url.Parse(p.URL); err == nil {
		if u.Path != "" && u.Path != "/" {
			s = strings.ReplaceAll(s, u.Path, "/***")
		}
		if u.RawQuery != "" {
			s = strings.ReplaceAll(s, u.RawQuery, "***")
		}
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
