package calibration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCalibration(t *testing.T) {
	r, err := Measure()
	require.NoError(t, err)
	h := r.Bench["H100"]
	require.Len(t, h, len(PublishedH100))
	for i, pub := range PublishedH100 {
		sim := h[i]
		assert.InEpsilon(t, pub.TPOT.Seconds(), sim.TPOTMean.Seconds(), 0.20, "TPOT at concurrency %d: simulated %v, published %v", pub.Concurrency, sim.TPOTMean, pub.TPOT)
		ratio := sim.TTFTP50.Seconds() / pub.TTFTP50.Seconds()
		assert.True(t, ratio > 0.5 && ratio < 2, "TTFT p50 at concurrency %d of the right order: simulated %v, published %v", pub.Concurrency, sim.TTFTP50, pub.TTFTP50)
		assert.InEpsilon(t, pub.OutputTokS, sim.OutputTokensPerSec, 0.35, "throughput at concurrency %d", pub.Concurrency)
		assert.Zero(t, sim.Preemptions)
	}
	assert.Less(t, h[0].TTFTP50, h[2].TTFTP50, "TTFT grows with concurrency")
	assert.Less(t, h[0].TPOTMean, h[1].TPOTMean)
	assert.Less(t, h[1].TPOTMean, h[2].TPOTMean)

	bw := map[string]float64{}
	for _, a := range r.Accelerators {
		bw[a.Name] = a.MemoryBandwidthGBps
	}
	order := []string{"H100", "A100", "L40S"}
	for i := 1; i < len(order); i++ {
		fast, slow := order[i-1], order[i]
		for c := range Concurrencies {
			f, s := r.Bench[fast][c], r.Bench[slow][c]
			assert.Less(t, f.TPOTMean, s.TPOTMean, "%s decodes faster than %s at concurrency %d", fast, slow, Concurrencies[c])
			assert.Less(t, f.TTFTP50, s.TTFTP50, "%s prefills faster than %s at concurrency %d", fast, slow, Concurrencies[c])
			assert.Greater(t, f.OutputTokensPerSec, s.OutputTokensPerSec, "%s serves more than %s at concurrency %d", fast, slow, Concurrencies[c])
		}
		assert.Less(t, r.Single[fast].TPOTMean, r.Single[slow].TPOTMean)
		assert.Less(t, r.Single[fast].TTFTP50, r.Single[slow].TTFTP50)
		assert.Greater(t, r.Saturated[fast].OutputTokensPerSec, r.Saturated[slow].OutputTokensPerSec, "%s has more capacity than %s", fast, slow)
	}
	// Batch-1 decode is memory-bound: slowdown against H100 tracks the
	// bandwidth ratio, diluted (never amplified) by fixed overheads.
	for _, name := range []string{"A100", "L40S"} {
		slowdown := r.Single[name].TPOTMean.Seconds() / r.Single["H100"].TPOTMean.Seconds()
		bwRatio := bw["H100"] / bw[name]
		assert.True(t, slowdown > 0.8*bwRatio && slowdown <= 1.02*bwRatio, "%s batch-1 slowdown %.2f vs bandwidth ratio %.2f", name, slowdown, bwRatio)
	}
	// A saturated batch is compute-bound with memory traffic overlapping it
	// and fixed per-step overheads diluting both: capacity ratios stay at or
	// below the larger of the achieved-peak (BF16 x matmul efficiency) and
	// achieved-bandwidth ratios, and above a third of the smaller.
	h100 := r.Accelerators[0]
	for _, a := range r.Accelerators[1:] {
		ratio := r.Saturated["H100"].OutputTokensPerSec / r.Saturated[a.Name].OutputTokensPerSec
		byCompute := h100.BF16TFLOPS * h100.Efficiency.MatmulCompute / (a.BF16TFLOPS * a.Efficiency.MatmulCompute)
		byMemory := h100.MemoryBandwidthGBps * h100.Efficiency.MemoryBandwidth / (a.MemoryBandwidthGBps * a.Efficiency.MemoryBandwidth)
		assert.True(t, ratio >= min(byCompute, byMemory)/3 && ratio <= 1.05*max(byCompute, byMemory),
			"%s capacity ratio %.2f outside [%.2f, %.2f]", a.Name, ratio, min(byCompute, byMemory), max(byCompute, byMemory))
	}
	// Published figures under load on A100 and L40S, within 20%.
	one := r.Sweep[0]
	assert.InEpsilon(t, A100Sweep.Points[0].TPOT.Seconds(), one.TPOTMean.Seconds(), 0.20, "A100 40GB TPOT at one request: simulated %v", one.TPOTMean)
	gain := r.Sweep[1].OutputTokensPerSec / one.OutputTokensPerSec
	assert.InEpsilon(t, A100Sweep.Points[1].OutputTokS/A100Sweep.Points[0].OutputTokS, gain, 0.20, "A100 40GB throughput gain at concurrency 8: simulated %.2f", gain)
	for i, sr := range SaturatedRatios {
		assert.InEpsilon(t, sr.Ratio, r.Ratios[i].Ratio, 0.20, "%s/%s saturated throughput ratio: simulated %.2f", sr.Fast, sr.Slow, r.Ratios[i].Ratio)
	}
	// Under Poisson load every accelerator keeps up at the lowest rate, and
	// latency and occupancy grow with the rate.
	for _, a := range r.Accelerators {
		load := r.Load[a.Name]
		offered := PoissonRates[0] * float64(PoissonWorkload(PoissonRates[0]).OutputMin)
		assert.InEpsilon(t, offered, load[0].OutputTokensPerSec, 0.10, "%s keeps up with %g req/s", a.Name, PoissonRates[0])
		for i := 1; i < len(load); i++ {
			if keptUp := load[i].OutputTokensPerSec > 0.9*PoissonRates[i]*float64(PoissonWorkload(PoissonRates[i]).OutputMin); keptUp {
				assert.Greater(t, load[i].TPOTMean, load[i-1].TPOTMean, "%s ITL grows with the rate", a.Name)
			}
			assert.Greater(t, load[i].TTFTP50, load[i-1].TTFTP50, "%s TTFT grows with the rate", a.Name)
			assert.Greater(t, load[i].MeanInFlight, load[i-1].MeanInFlight, "%s occupancy grows with the rate", a.Name)
		}
	}
	// The issue this model answers: 16 req/s of 256/256 on an A100 is within
	// its capacity (about 4,100 output tok/s offered, as many prompt tokens).
	a100 := r.Load["A100"][2]
	assert.InEpsilon(t, 16*256.0, a100.OutputTokensPerSec, 0.10, "A100 keeps up with 16 req/s")
	// "H100 gives about twice the throughput of A100" (at moderate load).
	twice := r.Bench["H100"][2].OutputTokensPerSec / r.Bench["A100"][2].OutputTokensPerSec
	assert.True(t, twice > 1.5 && twice < 2.6, "H100/A100 throughput at concurrency 16: %.2f", twice)
	// Batch-1 ITL sits at or below each rule-of-thumb range (real deployments add API overhead).
	for _, rt := range RulesOfThumb {
		itl := r.Single[rt.Accelerator].TPOTMean
		assert.Less(t, itl, rt.ITLHi, rt.Accelerator)
		assert.Greater(t, itl, rt.ITLLo/2, rt.Accelerator)
	}
}

func TestCommittedReportUpToDate(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Generate(&b))
	committed, err := os.ReadFile(filepath.Join("..", "profiles", "CALIBRATION.md"))
	require.NoError(t, err)
	assert.Equal(t, string(committed), b.String(), "simulator/profiles/CALIBRATION.md is stale: run go run ./simulator/cmd/saturn-calibrate")
}

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "CALIBRATION.md")
	var stdout, stderr bytes.Buffer
	ctx := context.Background()

	err := Run(ctx, []string{"--out", out, "--check"}, &stdout, &stderr)
	require.Error(t, err, "checking a missing file fails")

	require.NoError(t, Run(ctx, []string{"--out", out}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "wrote "+out)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(data), "# Calibration of the simulated engine")

	require.NoError(t, Run(ctx, []string{"--out", out, "--check"}, &stdout, &stderr))
	require.NoError(t, os.WriteFile(out, append(data, '\n'), 0o644))
	err = Run(ctx, []string{"--out", out, "--check"}, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stale")

	stdout.Reset()
	require.NoError(t, Run(ctx, []string{"--out", "-"}, &stdout, &stderr))
	assert.Equal(t, string(data), stdout.String())

	for _, args := range [][]string{{"--out", ""}, {"--out", "-", "--check"}, {"extra"}, {"--bogus"}} {
		assert.Error(t, Run(ctx, args, &stdout, &stderr), "%v", args)
	}
}
