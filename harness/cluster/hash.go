package cluster

import (
	"crypto/sha256"
	"encoding/hex"
)

// hashStrings is a short stable hash of its arguments, used to roll pods on change.
func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
