package simserver

// Small deterministic hashing and random helpers: every simulated decision
// derives from the seed through these, so runs repeat exactly.

// mix64 is the SplitMix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// splitmix advances state and returns the next pseudo-random value.
func splitmix(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	return mix64(*state)
}

// hashString hashes s (FNV-1a) together with a seed.
func hashString(seed uint64, s string) uint64 {
	h := uint64(14695981039346656037) ^ mix64(seed)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

// unitFloat maps a hash to [0,1).
func unitFloat(h uint64) float64 {
	return float64(h>>11) / (1 << 53)
}
