package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// A minimal HTTP/1.1 client: requests are pre-rendered bytes, responses are
// read through one bufio.Reader on the raw connection, and the body (plain,
// sized or chunked) is exposed as lines without per-line allocation.

const connBufSize = 64 << 10

var errLineTooLong = errors.New("stream line longer than the max line bytes")

type conn struct {
	nc     net.Conn
	br     *bufio.Reader // raw connection
	body   bodyReader    // decodes the current response body from br
	lr     *bufio.Reader // lines of the decoded body
	long   []byte        // assembles lines longer than lr's buffer
	maxLn  int
	reused bool // served a response before
}

// dialer opens connections to one server.
type dialer struct {
	addr  string
	tls   *tls.Config
	maxLn int
}

func newDialer(u *url.URL, maxLine int) *dialer {
	d := &dialer{addr: u.Host, maxLn: maxLine}
	if u.Port() == "" {
		if u.Scheme == "https" {
			d.addr = net.JoinHostPort(u.Hostname(), "443")
		} else {
			d.addr = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	if u.Scheme == "https" {
		d.tls = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}}
	}
	return d
}

func (d *dialer) dial(ctx context.Context) (*conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err
	}
	if d.tls != nil {
		tc := tls.Client(nc, d.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	return newConn(nc, nc, d.maxLn), nil
}

// newConn wraps a connection; responses are read from r (normally nc).
func newConn(nc net.Conn, r io.Reader, maxLine int) *conn {
	c := &conn{nc: nc, br: bufio.NewReaderSize(r, connBufSize), maxLn: maxLine}
	c.body.br = c.br
	c.lr = bufio.NewReaderSize(&c.body, connBufSize)
	return c
}

func (c *conn) close() { c.nc.Close() }

// respHeader is what the client needs from a response head.
type respHeader struct {
	status  int
	reason  string
	chunked bool
	length  int64 // -1: unknown
	close   bool
}

// readHeader reads the status line and headers, skipping 1xx responses.
func (c *conn) readHeader() (respHeader, error) {
	for {
		var h respHeader
		h.length = -1
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return h, fmt.Errorf("read status line: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		// HTTP/1.x SP code SP reason
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return h, fmt.Errorf("malformed status line %q", truncate(line, 80))
		}
		code, err := strconv.Atoi(string(line[9:12]))
		if err != nil {
			return h, fmt.Errorf("malformed status line %q", truncate(line, 80))
		}
		h.status = code
		if len(line) > 13 {
			h.reason = string(line[13:])
		}
		h.close = line[7] == '0' // HTTP/1.0 closes unless told otherwise
		for {
			hl, err := c.br.ReadSlice('\n')
			if err != nil {
				return h, fmt.Errorf("read headers: %w", err)
			}
			hl = bytes.TrimRight(hl, "\r\n")
			if len(hl) == 0 {
				break
			}
			colon := bytes.IndexByte(hl, ':')
			if colon <= 0 {
				continue
			}
			name, val := hl[:colon], bytes.TrimSpace(hl[colon+1:])
			switch {
			case bytes.EqualFold(name, []byte("Content-Length")):
				n, err := strconv.ParseInt(string(val), 10, 64)
				if err != nil || n < 0 {
					return h, fmt.Errorf("bad Content-Length %q", val)
				}
				h.length = n
			case bytes.EqualFold(name, []byte("Transfer-Encoding")):
				h.chunked = bytes.Contains(bytes.ToLower(val), []byte("chunked"))
			case bytes.EqualFold(name, []byte("Connection")):
				lv := bytes.ToLower(val)
				if bytes.Contains(lv, []byte("close")) {
					h.close = true
				} else if bytes.Contains(lv, []byte("keep-alive")) {
					h.close = false
				}
			}
		}
		if code >= 100 && code < 200 && code != 101 {
			continue
		}
		return h, nil
	}
}

// startBody prepares the line reader for the body described by h.
func (c *conn) startBody(h respHeader) {
	c.body.reset(h)
	c.lr.Reset(&c.body)
}

// bodyDone reports whether the body was read to its end.
func (c *conn) bodyDone() bool { return c.body.done && c.lr.Buffered() == 0 }

// readLine returns the next body line including its '\n' (the last line may
// lack it). The slice is valid until the next call. At the end of the body
// it returns io.EOF.
func (c *conn) readLine() ([]byte, error) {
	line, err := c.lr.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		if err == io.EOF && len(line) > 0 {
			return line, nil
		}
		return line, err
	}
	c.long = append(c.long[:0], line...)
	for {
		line, err = c.lr.ReadSlice('\n')
		c.long = append(c.long, line...)
		if len(c.long) > c.maxLn {
			return nil, errLineTooLong
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return c.long, nil
		case io.EOF:
			return c.long, nil
		default:
			return nil, err
		}
	}
}

// bodyReader decodes one response body from the connection reader.
type bodyReader struct {
	br        *bufio.Reader
	chunked   bool
	remaining int64 // bytes left in the sized body or the current chunk
	untilEOF  bool  // neither sized nor chunked: read until the server closes
	needCRLF  bool  // a chunk's data was consumed, its CRLF was not
	done      bool
}

func (b *bodyReader) reset(h respHeader) {
	*b = bodyReader{br: b.br, chunked: h.chunked}
	switch {
	case h.chunked:
	case h.length >= 0:
		b.remaining = h.length
		b.done = h.length == 0
	default:
		b.untilEOF = true
	}
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.untilEOF {
		n, err := b.br.Read(p)
		if err == io.EOF {
			b.done = true
		}
		return n, err
	}
	if b.chunked && b.remaining == 0 {
		if err := b.nextChunk(); err != nil {
			return 0, err
		}
		if b.done {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.br.Read(p)
	b.remaining -= int64(n)
	if b.remaining == 0 {
		if b.chunked {
			b.needCRLF = true
		} else {
			b.done = true
		}
	}
	if err == io.EOF {
		if b.done {
			return n, nil
		}
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// nextChunk consumes the previous chunk's CRLF and the next size line; a
// zero size ends the body after its trailers.
func (b *bodyReader) nextChunk() error {
	if b.needCRLF {
		line, err := b.br.ReadSlice('\n')
		if err != nil {
			return unexpected(err)
		}
		if len(bytes.TrimRight(line, "\r\n")) != 0 {
			return errors.New("chunked body: missing CRLF after chunk data")
		}
		b.needCRLF = false
	}
	line, err := b.br.ReadSlice('\n')
	if err != nil {
		return unexpected(err)
	}
	line = bytes.TrimRight(line, "\r\n")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	size, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 62)
	if err != nil {
		return fmt.Errorf("chunked body: bad chunk size %q", truncate(line, 40))
	}
	if size == 0 {
		for { // trailers end with an empty line
			tl, err := b.br.ReadSlice('\n')
			if err != nil {
				return unexpected(err)
			}
			if len(bytes.TrimRight(tl, "\r\n")) == 0 {
				break
			}
		}
		b.done = true
		return nil
	}
	b.remaining = int64(size)
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// pool keeps idle keep-alive connections.
type pool struct {
	d    *dialer
	mu   sync.Mutex
	idle []*conn
}

func (p *pool) get(ctx context.Context) (*conn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return p.d.dial(ctx)
}

func (p *pool) put(c *conn) {
	c.reused = true
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// fill opens connections until n are idle, so the timed run starts warm.
func (p *pool) fill(ctx context.Context, n int) error {
	p.mu.Lock()
	have := len(p.idle)
	p.mu.Unlock()
	for range n - have {
		c, err := p.d.dial(ctx)
		if err != nil {
			return err
		}
		c.reused = true // a fresh idle connection may still be closed by the server
		p.put(c)
	}
	return nil
}

func (p *pool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		c.close()
	}
	p.idle = nil
}

var longAgo = time.Unix(1, 0)
