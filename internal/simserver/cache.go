package simserver

import "sync"

// prefixCache approximates SGLang's radix cache: prompts are hashed in
// blocks of cacheBlock tokens (each hash covers the whole prefix), and a new
// prompt reuses the longest run of leading blocks seen before. Old blocks
// are evicted first-in first-out once the token capacity is reached.
type prefixCache struct {
	mu        sync.Mutex
	blocks    map[uint64]struct{}
	order     []uint64 // insertion order, ring of capacity maxBlocks
	next      int
	maxBlocks int
}

const (
	cacheBlock        = 16
	cacheTokenBudget  = 1 << 20 // KV cache capacity in tokens
	maxPrefillNoChunk = 16384   // prefill budget per step without chunking
)

func newPrefixCache(capacityTokens int) *prefixCache {
	n := max(capacityTokens/cacheBlock, 1)
	return &prefixCache{blocks: make(map[uint64]struct{}, 1024), maxBlocks: n}
}

// promptBlocks returns the chained hash of every full block of n tokens,
// where tok(i) is the identity of token i.
func promptBlocks(n int, tok func(i int) uint64) []uint64 {
	out := make([]uint64, 0, n/cacheBlock)
	h := uint64(0x243f6a8885a308d3)
	for i := 0; i < n; i++ {
		h = mix64(h ^ tok(i))
		if (i+1)%cacheBlock == 0 {
			out = append(out, h)
		}
	}
	return out
}

// lookup returns how many leading blocks are cached.
func (c *prefixCache) lookup(blocks []uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, b := range blocks {
		if _, ok := c.blocks[b]; !ok {
			return i
		}
	}
	return len(blocks)
}

func (c *prefixCache) insert(blocks []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range blocks {
		if _, ok := c.blocks[b]; ok {
			continue
		}
		if len(c.order) < c.maxBlocks {
			c.order = append(c.order, b)
		} else {
			delete(c.blocks, c.order[c.next])
			c.order[c.next] = b
			c.next = (c.next + 1) % c.maxBlocks
		}
		c.blocks[b] = struct{}{}
	}
}

// flush drops every cached block and returns how many there were.
func (c *prefixCache) flush() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.blocks)
	clear(c.blocks)
	c.order, c.next = c.order[:0], 0
	return n
}
