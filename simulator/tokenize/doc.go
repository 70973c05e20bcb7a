// Package tokenize counts tokens in text the way saturn-sim does, by a
// documented deterministic rule, and renders synthetic output tokens as text.
//
// saturn-sim has no real tokenizer: it only needs token counts that are stable,
// cheap and roughly as large as a BPE tokenizer's. The rule (see Count) is part
// of the simulator's contract, so load generators can predict the prompt token
// count of a text prompt without talking to the server.
//
// This package must not allocate per call on the counting path, must not depend
// on a model's vocabulary, and must never panic on any input (invalid UTF-8
// included).
package tokenize
