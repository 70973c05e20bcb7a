package engine

// blockPool counts the KV cache blocks of one replica. A block is free
// (empty), used (referenced by at least one running request) or cached
// (holding a prefix-group block nobody references: reusable by a prefix hit
// until evicted). Private blocks are counted only; prefix-group blocks are
// tracked per group so that hits and evictions follow vLLM's chained hashes.
type blockPool struct {
	total, free, used, cached int

	evictQ    []evictRec // cached blocks, least recently freed first (may hold stale records)
	evictHead int
}

// prefixGroup is the chain of cached blocks of one prefix group: block i
// stands for the hash of blocks 0..i. Blocks [0, present) are in the cache;
// refs is non-increasing along the chain because every holder holds a
// leading run of it.
type prefixGroup struct {
	present int
	refs    []int32
	gen     []uint32
}

type evictRec struct {
	g   *prefixGroup
	idx int32
	gen uint32
}

func (p *blockPool) available() int { return p.free + p.cached }

// take moves n blocks to used, evicting cached blocks as needed. The caller
// has checked available() >= n.
func (p *blockPool) take(n int) {
	for p.free < n && p.cached > 0 {
		if !p.evictOne() {
			break // accounting bug: surfaces as a negative free count in tests
		}
	}
	p.free -= n
	p.used += n
}

// release returns n private blocks to the free pool.
func (p *blockPool) release(n int) {
	p.used -= n
	p.free += n
}

// evictOne drops the tail block of the group of the least recently freed
// cached block. It reports false when no cached block is left to evict.
func (p *blockPool) evictOne() bool {
	for p.evictHead < len(p.evictQ) {
		rec := p.evictQ[p.evictHead]
		g, i := rec.g, int(rec.idx)
		if i >= g.present || g.gen[i] != rec.gen || g.refs[i] != 0 {
			p.evictQ[p.evictHead] = evictRec{}
			p.evictHead++
			continue
		}
		t := g.present - 1 // refs are non-increasing, so the tail is unreferenced too
		g.gen[t]++
		g.present--
		p.cached--
		p.free++
		if t == i {
			p.evictQ[p.evictHead] = evictRec{}
			p.evictHead++
		}
		p.compact()
		return true
	}
	return false
}

func (p *blockPool) compact() {
	if p.evictHead > 1024 && p.evictHead > len(p.evictQ)/2 {
		n := copy(p.evictQ, p.evictQ[p.evictHead:])
		clear(p.evictQ[n:])
		p.evictQ = p.evictQ[:n]
		p.evictHead = 0
	}
}

// hit references the leading cached blocks of g, at most limit of them, and
// returns how many.
func (p *blockPool) hit(g *prefixGroup, limit int) int {
	n := min(g.present, limit)
	for i := 0; i < n; i++ {
		p.ref(g, i)
	}
	return n
}

func (p *blockPool) ref(g *prefixGroup, i int) {
	if g.refs[i] == 0 {
		p.cached--
		p.used++
		g.gen[i]++
	}
	g.refs[i]++
}

// share turns the caller's private block i of group g (just filled) into
// the group's chain block i; when another request already registered it,
// the caller references that one and frees its duplicate.
func (p *blockPool) share(g *prefixGroup, i int) {
	if i < g.present {
		p.ref(g, i)
		p.release(1)
		return
	}
	if i >= len(g.refs) {
		g.refs = append(g.refs, 0)
		g.gen = append(g.gen, 0)
	}
	g.present = i + 1
	g.refs[i] = 1
}

// unshare drops a holder's references to chain blocks [0, n), tail first so
// that the tail is evicted first.
func (p *blockPool) unshare(g *prefixGroup, n int) {
	for i := n - 1; i >= 0; i-- {
		g.refs[i]--
		if g.refs[i] == 0 {
			p.used--
			p.cached++
			p.evictQ = append(p.evictQ, evictRec{g: g, idx: int32(i), gen: g.gen[i]})
		}
	}
}
