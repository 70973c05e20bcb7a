package scenario

import "time"

// Request is one generated request, in arrival order.
type Request struct {
	// ID is the request's sequence number from 0, in arrival order; unique within a run.
	ID int64
	// Arrival is the offset from the start of the run.
	Arrival time.Duration
	// Phase is the name of the traffic phase holding Arrival ("" outside every phase).
	Phase string
	// Class is the request's class name (the trace's class for replays).
	Class string
	// PromptTokens and OutputTokens are >= 1 and sum to at most the model's max length.
	PromptTokens, OutputTokens int
	// Stream asks for server-sent events.
	Stream bool
	// PrefixGroup names the shared-prefix group ("" for none); requests in one group share
	// their first PrefixTokens prompt tokens (PrefixTokens <= PromptTokens).
	PrefixGroup  string
	PrefixTokens int
}
