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
	maxRoots  int

	mu     sync.Mutex
	chains map[uint64][]uint64 // root block hash -> canonical chain of chained block hashes
	order  []uint64            // roots in insertion order, for eviction
	next   int                 // position in order of the next eviction
}

// maxChainBlocks bounds a canonical chain (blocks beyond are not shared).
const maxChainBlocks = 1 << 14

func newPrefixIndex(blockSize, maxRoots int) *prefixIndex {
	return &prefixIndex{blockSize: blockSize, maxRoots: maxRoots, chains: make(map[uint64][]uint64)}
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
		shared = blocks
	}
	return group, shared * x.blockSize
}

func (x *prefixIndex) insert(root uint64, chain []uint64) {
	if len(x.order) < x.maxRoots {
		x.order = append(x.order, root)
	} else {
		delete(x.chains, x.order[x.next])
		x.order[x.next] = root
		x.next = (x.next + 1) % len(x.order)
	}
	x.chains[root] = chain
}
