package arrivals

import "slices"

// Spike changes the rate during [Start, End) (seconds): it multiplies it by Multiplier, or,
// with Replace, sets it to Rate. Overlapping spikes apply in order.
type Spike struct {
	Start, End float64
	Multiplier float64
	Replace    bool
	Rate       float64
}

// ApplySpikes splits segments at spike boundaries and applies each spike to the pieces it
// covers. Ramps are split into ramps between their rates at the cut points.
func ApplySpikes(segs []Segment, spikes []Spike) []Segment {
	if len(spikes) == 0 {
		return segs
	}
	var cuts []float64
	for _, s := range spikes {
		cuts = append(cuts, s.Start, s.End)
	}
	slices.Sort(cuts)
	var out []Segment
	for _, seg := range segs {
		pieces := []float64{seg.Start}
		for _, c := range cuts {
			if c > seg.Start && c < seg.End && c != pieces[len(pieces)-1] {
				pieces = append(pieces, c)
			}
		}
		pieces = append(pieces, seg.End)
		for i := 0; i+1 < len(pieces); i++ {
			out = append(out, applyTo(piece(seg, pieces[i], pieces[i+1]), spikes))
		}
	}
	return out
}

// piece is the part of seg over [a, b).
func piece(seg Segment, a, b float64) Segment {
	p := seg
	p.Start, p.End = a, b
	if seg.Shape == Linear || seg.Shape == Exponential {
		m := seg.scale()
		p.From = seg.RateAt(a) / m
		p.To = seg.RateAt(b) / m
	}
	return p
}

func applyTo(p Segment, spikes []Spike) Segment {
	for _, s := range spikes {
		if s.Start > p.Start || s.End < p.End {
			continue
		}
		if s.Replace {
			p.Shape, p.From, p.To, p.Scale = Constant, s.Rate, s.Rate, 1
			continue
		}
		p.Scale = p.scale() * s.Multiplier
	}
	return p
}
