// Package traces reads public LLM request traces as streams of records: the Azure LLM
// inference trace CSV (TIMESTAMP,ContextTokens,GeneratedTokens), the BurstGPT CSV and the
// Mooncake JSONL format. Readers pull one record at a time (a trace is never held in memory),
// report errors with the line number, and give each record's offset from the first record.
//
// The package only parses: it must not know about scenarios, scaling of time or rates
// (harness/scenario applies timeScale and rateMultiplier), clocks or networks.
package traces
