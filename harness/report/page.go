package report

// pageTemplate is report.html. Everything is inline: no script, no fonts,
// no network.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>saturn · {{.Sum.Scenario}} · {{upper .Sum.Verdict}}</title>
<style>
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--pass:#059669;--fail:#dc2626}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1010px;margin:0 auto;padding:28px 20px 48px}
header{display:flex;align-items:center;gap:16px;margin-bottom:6px}
h1{font-size:24px;margin:0;font-weight:650;letter-spacing:-.01em}
h2{font-size:15px;margin:28px 0 10px;font-weight:650;text-transform:uppercase;letter-spacing:.04em;color:#334155}
.badge{padding:4px 12px;border-radius:999px;font-weight:700;font-size:13px;letter-spacing:.06em;color:#fff}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.sub{color:var(--muted);margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:21px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .n{color:var(--muted);font-size:12px}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
th,td{text-align:left;padding:7px 12px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f1f5f9;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#475569;font-weight:600}
tr:last-child td{border-bottom:none}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pill{display:inline-block;min-width:44px;text-align:center;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:700;color:#fff}
.pill.pass{background:var(--pass)}.pill.fail{background:var(--fail)}
.detail{color:var(--muted);font-size:12px}
.charts{display:flex;flex-direction:column;gap:12px}
.chart{width:100%;height:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
.chart .ct{font-size:14px;font-weight:650;fill:#0f172a}
.chart .cu{font-size:12px;fill:#64748b}
.chart .grid{stroke:#eef2f7;stroke-width:1}
.chart .axis{stroke:#94a3b8;stroke-width:1}
.chart .tick{stroke:#94a3b8}
.chart .xl{font-size:11px;fill:#64748b;text-anchor:middle}
.chart .yl{font-size:11px;fill:#64748b;text-anchor:end}
.chart .lg{font-size:12px;fill:#334155}
.chart .band{fill:#f1f5f9}
.chart .bl{font-size:11px;fill:#94a3b8}
.chart .slo{stroke:#dc2626;stroke-width:1.2;stroke-dasharray:6 4}
.chart .sl{font-size:11px;fill:#dc2626;text-anchor:end}
.up{color:#2563eb;font-weight:600}.down{color:#ea580c;font-weight:600}
.reason{font-size:12.5px;color:#334155}
footer{margin-top:28px;color:var(--muted);font-size:12px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
</style>
</head>
<body>
<main>
<header>
<h1>{{.Sum.Scenario}}</h1>
<span class="badge {{if .Pass}}pass{{else}}fail{{end}}">{{upper .Sum.Verdict}}</span>
</header>
<p class="sub">{{.Sum.Mode}} run · seed {{.Sum.Seed}} · model {{.Meta.Model}} · analyzer <b>{{.Sum.Analyzer}}</b> · actuation <b>{{.Sum.Actuation}}</b> · router {{.Meta.Router}} · {{secs .Sum.DurationSeconds}} simulated · SLO {{.SLO}}</p>

<div class="cards">
<div class="card"><div class="k">Assertions</div><div class="v">{{.Passed}} / {{len .Sum.Assertions}}</div><div class="n">hold</div></div>
<div class="card"><div class="k">Requests</div><div class="v">{{.Sum.Requests.Total}}</div><div class="n">{{.Sum.Requests.Errors}} errors · {{.Sum.Requests.Lost}} lost</div></div>
<div class="card"><div class="k">SLO attainment</div><div class="v">{{pct .Sum.Requests.SLOAttainment}}</div><div class="n">of all requests</div></div>
<div class="card"><div class="k">TTFT p99</div><div class="v">{{secs .Sum.TTFT.P99}}</div><div class="n">p50 {{secs .Sum.TTFT.P50}}</div></div>
<div class="card"><div class="k">GPU-hours</div><div class="v">{{f3 .Sum.GPUHours}}</div><div class="n">{{if .Sum.Floor}}floor {{f3 .Sum.Floor.GPUHours}} · {{f2 .Sum.FloorRatio}}×{{else}}no floor{{end}}{{if .Sum.Plan}} · plan {{f3 .Sum.Plan.GPUHours}} · {{f2 .Sum.PlanRatio}}×{{end}}</div></div>
<div class="card"><div class="k">Scale events</div><div class="v">{{.Sum.ScaleEvents}}</div><div class="n">cost {{f2 .Sum.Cost}}</div></div>
</div>

{{if .Sum.Assertions}}
<h2>Assertions</h2>
<table>
<tr><th>Assertion</th><th>Observed</th><th>Result</th></tr>
{{range .Sum.Assertions}}<tr><td>{{.Name}}{{if .Detail}}<div class="detail">{{.Detail}}</div>{{end}}</td><td>{{.Observed}}</td><td><span class="pill {{if .Pass}}pass">pass{{else}}fail">fail{{end}}</span></td></tr>
{{end}}</table>
{{end}}

<h2>Over time</h2>
<div class="charts">
{{range .Charts}}{{.}}
{{end}}</div>

<h2>Latency</h2>
<table>
<tr><th></th><th class="num">p50</th><th class="num">p90</th><th class="num">p95</th><th class="num">p99</th><th class="num">observations</th></tr>
{{range .Latency}}<tr><td>{{.Name}}</td><td class="num">{{.P50}}</td><td class="num">{{.P90}}</td><td class="num">{{.P95}}</td><td class="num">{{.P99}}</td><td class="num">{{.Count}}</td></tr>
{{end}}</table>

<h2>Variants</h2>
<table>
<tr><th>Variant</th><th>Accelerator</th><th class="num">Ready min</th><th class="num">max</th><th class="num">mean</th><th class="num">Scale-ups</th><th class="num">downs</th><th class="num">GPU-h</th><th class="num">Cost</th></tr>
{{range .Sum.Variants}}<tr><td>{{.Name}}</td><td>{{.Accelerator}}</td><td class="num">{{.ReplicasMin}}</td><td class="num">{{.ReplicasMax}}</td><td class="num">{{f2 .ReplicasMean}}</td><td class="num">{{.ScaleUps}}</td><td class="num">{{.ScaleDowns}}</td><td class="num">{{f3 .GPUHours}}</td><td class="num">{{f2 .Cost}}</td></tr>
{{end}}</table>
<p class="sub" style="margin-top:8px">{{.CostLine}}</p>
{{if .FloorLine}}<p class="sub">{{.FloorLine}}</p>{{end}}
{{if .PlanLine}}<p class="sub">{{.PlanLine}}</p>{{end}}

<h2>Controller decisions that changed the desired replicas</h2>
{{if .Events}}<table>
<tr><th>Time</th><th>Variant</th><th>Desired</th><th>Analyzer</th><th>Reason</th></tr>
{{range .Events}}<tr><td><code>{{.Time}}</code></td><td>{{.Variant}}</td><td class="{{if .Up}}up{{else}}down{{end}}">{{.Change}}</td><td>{{.Analyzer}}</td><td class="reason">{{.Reason}}</td></tr>
{{end}}</table>{{if .MoreEvents}}<p class="sub">… and {{.MoreEvents}} more in decisions.jsonl</p>{{end}}
{{else}}<p class="sub">No decision changed a target.</p>{{end}}

<footer>{{if .Run}}{{.Run}} · {{end}}files: summary.json, requests.csv, timeline.csv, replicas.csv, decisions.jsonl · generated by saturn</footer>
</main>
</body>
</html>
`
