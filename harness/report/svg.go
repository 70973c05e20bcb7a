package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// point is one (x seconds, y) sample of a series.
type point struct{ x, y float64 }

// series is one line of a chart.
type series struct {
	name  string
	color string
	pts   []point
	step  bool // draw as a step function (replica counts)
	dash  string
	width float64
	fill  bool // shade the area under the line
}

// band is a shaded x range with a label (a traffic phase).
type band struct {
	from, to float64
	label    string
}

// chart is one time-series plot.
type chart struct {
	title, unit string
	xMax        float64
	yMax        float64 // 0: from the data
	yFormat     func(float64) string
	series      []series
	bands       []band
	hline       *hline
}

type hline struct {
	y     float64
	label string
}

const (
	chartW, chartH                 = 960, 230
	padL, padR, padT, padB float64 = 64, 18, 34, 30
)

var palette = []string{"#2563eb", "#db2777", "#059669", "#ea580c", "#7c3aed", "#0891b2"}

// svg renders the chart as an inline SVG element.
func (c *chart) svg() string {
	var b strings.Builder
	yMax := c.yMax
	if yMax <= 0 {
		for _, s := range c.series {
			for _, p := range s.pts {
				yMax = math.Max(yMax, p.y)
			}
		}
		if c.hline != nil {
			yMax = math.Max(yMax, c.hline.y)
		}
		yMax *= 1.08
	}
	if yMax <= 0 || math.IsNaN(yMax) || math.IsInf(yMax, 0) {
		yMax = 1
	}
	yStep := niceStep(yMax, 5)
	yMax = math.Ceil(yMax/yStep-1e-9) * yStep
	xMax := math.Max(c.xMax, 1)
	pw, ph := chartW-padL-padR, chartH-padT-padB
	X := func(x float64) float64 { return padL + x/xMax*pw }
	Y := func(y float64) float64 { return padT + ph - math.Min(y, yMax)/yMax*ph }
	yf := c.yFormat
	if yf == nil {
		yf = func(v float64) string { return trimFloat(v) }
	}

	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, html.EscapeString(c.title))
	fmt.Fprintf(&b, `<text x="%g" y="18" class="ct">%s</text>`, padL, html.EscapeString(c.title))
	if c.unit != "" {
		fmt.Fprintf(&b, `<text x="%g" y="18" class="cu">%s</text>`, padL+12+8.4*float64(len(c.title)), html.EscapeString(c.unit))
	}
	for i, bd := range c.bands {
		x0, x1 := X(bd.from), X(math.Min(bd.to, xMax))
		if i%2 == 1 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%g" width="%.1f" height="%g" class="band"/>`, x0, padT, math.Max(x1-x0, 0), ph)
		}
		if x1-x0 > 40 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="bl">%s</text>`, x0+4, padT+11, html.EscapeString(bd.label))
		}
	}
	for v := 0.0; v <= yMax+1e-9; v += yStep {
		y := Y(v)
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" class="grid"/>`, padL, padL+pw, y, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="yl">%s</text>`, padL-6, y+4, html.EscapeString(yf(v)))
	}
	xStep := timeStep(xMax)
	for v := 0.0; v <= xMax+1e-9; v += xStep {
		x := X(v)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" class="tick"/>`, x, x, padT+ph, padT+ph+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="xl">%s</text>`, x, padT+ph+17, fmtClock(v, xMax))
	}
	fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%g" y2="%g" class="axis"/>`, padL, padL+pw, padT+ph, padT+ph)
	if c.hline != nil {
		y := Y(c.hline.y)
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" class="slo"/><text x="%g" y="%.1f" class="sl">%s</text>`,
			padL, padL+pw, y, y, padL+pw-4, y-4, html.EscapeString(c.hline.label))
	}
	for _, s := range c.series {
		if len(s.pts) == 0 {
			continue
		}
		var d strings.Builder
		for i, p := range s.pts {
			x, y := X(p.x), Y(p.y)
			switch {
			case i == 0:
				fmt.Fprintf(&d, "M%.1f %.1f", x, y)
			case s.step:
				fmt.Fprintf(&d, "H%.1fV%.1f", x, y)
			default:
				fmt.Fprintf(&d, "L%.1f %.1f", x, y)
			}
		}
		if s.step {
			fmt.Fprintf(&d, "H%.1f", X(xMax))
		}
		w := s.width
		if w == 0 {
			w = 1.6
		}
		if s.fill {
			first := s.pts[0]
			fmt.Fprintf(&b, `<path d="%s V%.1f H%.1f Z" fill="%s" fill-opacity="0.12" stroke="none"/>`, d.String(), Y(0), X(first.x), s.color)
		}
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="%g"%s stroke-linejoin="round"/>`, d.String(), s.color, w, dash)
	}
	// Legend, right-aligned above the plot.
	x := padL + pw
	for i := len(c.series) - 1; i >= 0; i-- {
		s := c.series[i]
		if s.name == "" {
			continue
		}
		tw := 6.6*float64(len(s.name)) + 26
		x -= tw
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="14" y2="14" stroke="%s" stroke-width="2.5"%s/><text x="%.1f" y="18" class="lg">%s</text>`,
			x, x+16, s.color, dash, x+20, html.EscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep is a 1-2-5 step giving about n intervals up to max.
func niceStep(maxV float64, n int) float64 {
	raw := maxV / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// timeStep picks a tick spacing in seconds for an x range.
func timeStep(xMax float64) float64 {
	for _, s := range []float64{5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600} {
		if xMax/s <= 12 {
			return s
		}
	}
	return 43200
}

// fmtClock formats an offset as h:mm (long runs) or m:ss.
func fmtClock(s, xMax float64) string {
	t := int(math.Round(s))
	if xMax >= 3*3600 {
		return fmt.Sprintf("%dh%02d", t/3600, t%3600/60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// downsample keeps at most n points by aggregating runs of points with agg.
func downsample(pts []point, n int, agg func([]point) float64) []point {
	if len(pts) <= n || n <= 0 {
		return pts
	}
	per := (len(pts) + n - 1) / n
	out := make([]point, 0, n)
	for i := 0; i < len(pts); i += per {
		j := min(i+per, len(pts))
		out = append(out, point{pts[i].x, agg(pts[i:j])})
	}
	return out
}

func aggMax(p []point) float64 {
	m := p[0].y
	for _, q := range p[1:] {
		m = math.Max(m, q.y)
	}
	return m
}

func aggMean(p []point) float64 {
	s := 0.0
	for _, q := range p {
		s += q.y
	}
	return s / float64(len(p))
}
