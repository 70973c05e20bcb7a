package server

import (
	"strconv"
	"sync"
)

// prefixIndex turns prompt contents into the engine's prefix groups, so that
// requests sharing leading KV blocks (a system prompt, a conversation so far,
// the n samples of one prompt) share them as vLLM's prefix cache would.
//
// The engine models a group as one chain of blocks shared by position. The
// index keys groups by the hash of a prompt's first full block and keeps the
// first chain seen for it as the group's canonical chain (extended when a
// later prompt continues it). A prompt declares as shared only the blocks it
// has in common with the canonical chain, so it never hits a block with other
// content; prompts that branch off elsewhere in the chain only lose sharing.
type prefixIndex struct {
	blockSize int
	maxBlocks int // bound on the blocks remembered over all chains

	mu     sync.Mutex
	chains map[uint64][]uint64 // root block hash -> canonical chain of chained block hashes
	order  []uint64            // roots, oldest first, for eviction
	total  int                 // blocks in chains
}

// maxChainBlocks bounds a canonical chain (blocks beyond are not shared).
const maxChainBlocks = 1 << 14

func newPrefixIndex(blockSize, maxBlocks int) *prefixIndex {
	return &prefixIndex{blockSize: blockSize, maxBlocks: max(maxBlocks, 1), chains: make(map[uint64][]uint64)}
}

// assign returns the prefix group and shared token count for a prompt given
// as token hashes.
func (x *prefixIndex) assign(tokens []uint64) (string, int) {
	if x == nil || x.blockSize <= 0 {
		return "", 0
	}
	blocks := min(len(tokens)/x.blockSize, maxChainBlocks)
	if blocks == 0 {
		return "", 0
	}
	chain := make([]uint64, blocks)
	h := uint64(0x6a09e667f3bcc908)
	for b := range chain {
		for _, t := range tokens[b*x.blockSize : (b+1)*x.blockSize] {
			h = splitmix(h ^ t)
		}
		chain[b] = h
	}
	root := chain[0]
	group := "c" + strconv.FormatUint(root, 16)

	x.mu.Lock()
	defer x.mu.Unlock()
	canonical, ok := x.chains[root]
	if !ok {
		x.insert(root, chain)
		return group, blocks * x.blockSize
	}
	shared := 0
	for shared < len(canonical) && shared < blocks && canonical[shared] == chain[shared] {
		shared++
	}
	if shared == len(canonical) && blocks > shared {
		// This prompt continues the canonical chain (the next turn of a
		// conversation): extend it so later prompts share the new blocks.
		x.chains[root] = append(canonical, chain[shared:]...)
		x.total += blocks - shared
		shared = blocks
		x.evict(root)
	}
	return group, shared * x.blockSize
}

func (x *prefixIndex) insert(root uint64, chain []uint64) {
	x.chains[root] = chain
	x.order = append(x.order, root)
	x.total += len(chain)
	x.evict(root)
}

// evict forgets the oldest chains, but never keep, until the remembered
// blocks fit the bound.
func (x *prefixIndex) evict(keep uint64) {
	for x.total > x.maxBlocks && len(x.order) > 1 {
		oldest := x.order[0]
		x.order = x.order[1:]
		if oldest == keep {
			x.order = append(x.order, oldest)
			continue
		}
		x.total -= len(x.chains[oldest])
		delete(x.chains, oldest)
	}
	if len(x.order) > 0 && cap(x.order) > 4*len(x.order)+64 {
		x.order = append([]uint64(nil), x.order...)
	}
}
