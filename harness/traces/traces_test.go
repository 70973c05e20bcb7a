package traces

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const samples = "../../scenarios/traces/"

func TestReadSampleTraces(t *testing.T) {
	cases := []struct {
		format, file string
		minRecords   int
		span         time.Duration
		hashIDs      bool
	}{
		{Azure, "azure-conv-sample.csv", 5000, 15 * time.Minute, false},
		{BurstGPT, "burstgpt-sample.csv", 1000, 10 * time.Minute, false},
		{Mooncake, "mooncake-sample.jsonl", 1500, 10 * time.Minute, true},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			f, err := Open(c.format, samples+c.file)
			require.NoError(t, err)
			defer f.Close()
			recs, err := ReadAll(f)
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(recs), c.minRecords)
			assert.Equal(t, time.Duration(0), recs[0].Offset, "offsets start at the first record")
			last := recs[len(recs)-1]
			assert.InDelta(t, c.span.Seconds(), last.Offset.Seconds(), 10)
			for i, r := range recs {
				require.GreaterOrEqual(t, r.Line, 2-boolInt(c.format == Mooncake))
				if i > 0 {
					require.GreaterOrEqual(t, r.Offset, recs[i-1].Offset)
					require.Greater(t, r.Line, recs[i-1].Line)
				}
				require.GreaterOrEqual(t, r.PromptTokens, 1)
				assert.Equal(t, c.hashIDs, r.HashIDs != nil)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestAzureParsesSevenDigitTimestamps(t *testing.T) {
	in := "TIMESTAMP,ContextTokens,GeneratedTokens\n" +
		"2023-11-16 18:17:03.9799600,374,44\n" +
		"2023-11-16 18:17:04.0312230,396,109\n" +
		"2023-11-16 18:18:03.9799600,879,1\n"
	recs, err := ReadAll(NewAzureReader(strings.NewReader(in)))
	require.NoError(t, err)
	require.Equal(t, []Record{
		{Line: 2, Offset: 0, PromptTokens: 374, OutputTokens: 44},
		{Line: 3, Offset: 51263 * time.Microsecond, PromptTokens: 396, OutputTokens: 109},
		{Line: 4, Offset: time.Minute, PromptTokens: 879, OutputTokens: 1},
	}, recs)
}

func TestBurstGPTKeepsFailedRequests(t *testing.T) {
	in := strings.Join(BurstGPTHeader, ",") + "\n" +
		"5,1,0.5,ChatGPT,472,18,490,Conversation log\n" +
		"45,,0.0,GPT-4,1000,0,1000,API log\n"
	recs, err := ReadAll(NewBurstGPTReader(strings.NewReader(in)))
	require.NoError(t, err)
	require.Equal(t, []Record{
		{Line: 2, Offset: 0, PromptTokens: 472, OutputTokens: 18},
		{Line: 3, Offset: 40 * time.Second, PromptTokens: 1000, OutputTokens: 0},
	}, recs)
}

func TestMooncakeRecords(t *testing.T) {
	in := `{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 48]}

{"timestamp": 30535, "input_length": 6472, "output_length": 26, "hash_ids": [46, 47, 60], "extra": 1}
`
	recs, err := ReadAll(NewMooncakeReader(strings.NewReader(in)))
	require.NoError(t, err)
	require.Equal(t, []Record{
		{Line: 1, Offset: 0, PromptTokens: 6955, OutputTokens: 52, HashIDs: []int64{46, 47, 48}},
		{Line: 3, Offset: 3053 * time.Millisecond, PromptTokens: 6472, OutputTokens: 26, HashIDs: []int64{46, 47, 60}},
	}, recs)
}

func TestReaderErrorsNameTheLine(t *testing.T) {
	azureHead := "TIMESTAMP,ContextTokens,GeneratedTokens\n"
	burstHead := strings.Join(BurstGPTHeader, ",") + "\n"
	cases := []struct {
		name, format, in string
		line             int
		want             string
	}{
		{"azure empty", Azure, "", 1, "empty trace"},
		{"azure header", Azure, "time,prompt,output\n", 1, "expected TIMESTAMP,ContextTokens,GeneratedTokens"},
		{"azure columns", Azure, azureHead + "2023-11-16 18:17:03.97,1,2\n2023-11-16 18:17:04,1\n", 3, "wrong number of fields"},
		{"azure timestamp", Azure, azureHead + "yesterday,1,2\n", 2, "TIMESTAMP \"yesterday\""},
		{"azure tokens", Azure, azureHead + "2023-11-16 18:17:03.97,many,2\n", 2, "ContextTokens \"many\""},
		{"azure negative", Azure, azureHead + "2023-11-16 18:17:03.97,-5,2\n", 2, "out of range"},
		{"azure backwards", Azure, azureHead + "2023-11-16 18:17:03,1,2\n2023-11-16 18:17:02,1,2\n", 3, "back in time"},
		{"burstgpt timestamp", BurstGPT, burstHead + "-1,1,0.5,ChatGPT,1,1,2,API log\n", 2, "expected seconds"},
		{"burstgpt tokens", BurstGPT, burstHead + "1,1,0.5,ChatGPT,1,x,2,API log\n", 2, "Response tokens"},
		{"mooncake json", Mooncake, `{"timestamp": 1, "input_length": 1, "output_length": 1}` + "\n{oops\n", 2, "expected a JSON object"},
		{"mooncake missing", Mooncake, `{"timestamp": 1, "output_length": 1}`, 1, "missing \"input_length\""},
		{"mooncake huge", Mooncake, `{"timestamp": 1e15, "input_length": 1, "output_length": 1}`, 1, "milliseconds in [0, 9e12]"},
		{"mooncake negative", Mooncake, `{"timestamp": -4, "input_length": 1, "output_length": 1}`, 1, "milliseconds in [0, 9e12]"},
		{"mooncake type", Mooncake, `{"timestamp": 1, "input_length": "10", "output_length": 1}`, 1, "input_length"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(c.format, strings.NewReader(c.in))
			require.NoError(t, err)
			_, err = ReadAll(r)
			require.Error(t, err)
			var le *LineError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, c.line, le.Line)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestLongLinesAreRejected(t *testing.T) {
	r := NewAzureReader(io.MultiReader(strings.NewReader("TIMESTAMP,ContextTokens,GeneratedTokens\n"), &zeros{}))
	_, err := r.Next()
	require.ErrorContains(t, err, "line longer than")
}

// zeros is an endless stream of '0' bytes without newlines.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func TestOpenErrors(t *testing.T) {
	_, err := Open("csv", samples+"azure-conv-sample.csv")
	require.ErrorContains(t, err, "unknown trace format \"csv\"; supported: azure, burstgpt, mooncake")
	_, err = Open(Azure, "does-not-exist.csv")
	require.ErrorIs(t, err, os.ErrNotExist)

	path := t.TempDir() + "/bad.csv"
	require.NoError(t, os.WriteFile(path, []byte("TIMESTAMP,ContextTokens,GeneratedTokens\nbad,1,1\n"), 0o600))
	f, err := Open(Azure, path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Next()
	require.ErrorContains(t, err, path+": line 2: ")
}

// fuzzReader checks a reader never panics, never loops, and yields ordered, bounded records
// or line-numbered errors.
func fuzzReader(t *testing.T, format string, data []byte) {
	r, err := NewReader(format, strings.NewReader(string(data)))
	require.NoError(t, err)
	var prev Record
	for i := 0; ; i++ {
		require.Less(t, i, len(data)+2, "more records than input bytes")
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				require.Positive(t, le.Line)
			}
			return
		}
		require.GreaterOrEqual(t, rec.Offset, prev.Offset)
		require.GreaterOrEqual(t, rec.PromptTokens, 0)
		require.LessOrEqual(t, rec.PromptTokens, MaxTokens)
		require.GreaterOrEqual(t, rec.OutputTokens, 0)
		prev = rec
	}
}

func FuzzAzure(f *testing.F) {
	f.Add([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,374,44\n2023-11-16 18:17:04.0312230,396,109\n"))
	f.Add([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n\"2023-11-16 18:17:03\",1,\"2\"\n"))
	f.Add([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n2024-05-10 00:00:00.009930+00:00,1,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReader(t, Azure, data) })
}

func FuzzBurstGPT(f *testing.F) {
	f.Add([]byte(strings.Join(BurstGPTHeader, ",") + "\n5,1,0.5,ChatGPT,472,18,490,Conversation log\n45,,0.0,GPT-4,1000,0,1000,API log\n"))
	f.Add([]byte(strings.Join(BurstGPTHeader, ",") + "\n1e308,1,0.5,ChatGPT,1,1,2,API log\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReader(t, BurstGPT, data) })
}

func FuzzMooncake(f *testing.F) {
	f.Add([]byte(`{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 48]}` + "\n"))
	f.Add([]byte(`{"timestamp": 1e20, "input_length": 1, "output_length": 1}` + "\n" + `{"timestamp": 0.5, "input_length": 1, "output_length": 1, "hash_ids": null}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReader(t, Mooncake, data) })
}

func BenchmarkAzureReader(b *testing.B) {
	data, err := os.ReadFile(samples + "azure-conv-sample.csv")
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	records := 0
	for range b.N {
		recs, err := ReadAll(NewAzureReader(strings.NewReader(string(data))))
		require.NoError(b, err)
		records += len(recs)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
