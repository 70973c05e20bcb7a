package scenario

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// The strict decoder walks yaml.Node trees into the scenario types by reflection, using the
// `yaml` struct tags. Unlike yaml.Unmarshal it reports every unknown field, wrong type,
// duplicate key and unrepresentable value with its line, column and field path, and records
// the position of every field so validation errors can be located too.

// nodeBudget bounds the nodes visited, so alias bombs ("billion laughs") cannot blow up.
const nodeBudget = 1_000_000

var durationType = reflect.TypeFor[time.Duration]()

// scalarShorthand is implemented by struct types that also accept a scalar ("rate: 5").
type scalarShorthand interface {
	decodeScalar(n *yaml.Node) (msg string, ok bool)
}

type decoder struct {
	sink    *errorSink
	visited int
}

func (d *decoder) pos(n *yaml.Node) position { return position{n.Line, n.Column} }

// decode fills v (addressable) from n; path is v's field path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	d.visited++
	if d.visited > nodeBudget {
		if d.visited == nodeBudget+1 {
			d.sink.at(d.pos(n), path, "document too large (more than %d nodes after expanding aliases)", nodeBudget)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.sink.at(d.pos(n), path, "unknown alias %q", n.Value)
			return
		}
		d.decode(n.Alias, v, path)
		return
	}
	if _, seen := d.sink.positions[path]; !seen {
		d.sink.positions[path] = d.pos(n)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null leaves the default
	}
	t := v.Type()
	if t == durationType {
		d.decodeDuration(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode {
			if sh, ok := v.Addr().Interface().(scalarShorthand); ok {
				if msg, ok := sh.decodeScalar(n); !ok {
					d.sink.at(d.pos(n), path, "%s", msg)
				}
				return
			}
		}
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.sink.at(d.pos(n), path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.sink.at(d.pos(n), path, "expected a string, got %s%s", describe(n), quoteHint(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.sink.at(d.pos(n), path, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		i, msg, ok := scalarInt(n)
		if ok && v.OverflowInt(i) {
			msg, ok = fmt.Sprintf("%d is out of range", i), false
		}
		if !ok {
			d.sink.at(d.pos(n), path, "%s", msg)
			return
		}
		v.SetInt(i)
	case reflect.Uint64:
		i, msg, ok := scalarInt(n)
		if ok && i < 0 {
			msg, ok = fmt.Sprintf("%d is negative; expected an integer >= 0", i), false
		}
		if !ok {
			d.sink.at(d.pos(n), path, "%s", msg)
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float64:
		f, msg, ok := scalarFloat(n)
		if !ok {
			d.sink.at(d.pos(n), path, "%s", msg)
			return
		}
		v.SetFloat(f)
	default:
		// Unreachable for the scenario types; reported rather than panicking.
		d.sink.at(d.pos(n), path, "cannot decode into %s", t)
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	dur, msg, ok := scalarDuration(n)
	if !ok {
		d.sink.at(d.pos(n), path, "%s", msg)
		return
	}
	v.SetInt(int64(dur))
}

// mappingPairs checks n is a mapping without merge keys or duplicate keys and returns its
// key/value pairs.
func (d *decoder) mappingPairs(n *yaml.Node, path string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		d.sink.at(d.pos(n), path, "expected a mapping (key: value), got %s", describe(n))
		return nil
	}
	pairs := make([][2]*yaml.Node, 0, len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.sink.at(d.pos(k), path, "keys must be plain strings (merge keys '<<' are not supported)")
			continue
		}
		if seen[k.Value] {
			d.sink.at(d.pos(k), joinPath(path, k.Value), "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		pairs = append(pairs, [2]*yaml.Node{k, val})
	}
	return pairs
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields := fieldsOf(v.Type())
	for _, kv := range d.mappingPairs(n, path) {
		k, val := kv[0], kv[1]
		fp := joinPath(path, k.Value)
		idx, ok := fields.index[k.Value]
		if !ok {
			d.sink.at(d.pos(k), fp, "unknown field %q; allowed here: %s%s", k.Value, strings.Join(fields.names, ", "), didYouMean(k.Value, fields.names))
			continue
		}
		d.sink.positions[fp] = d.pos(k)
		d.decode(val, v.Field(idx), fp)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.sink.at(d.pos(n), path, "cannot decode into %s", t)
		return
	}
	pairs := d.mappingPairs(n, path)
	if n.Kind != yaml.MappingNode {
		return
	}
	m := reflect.MakeMapWithSize(t, len(pairs))
	for _, kv := range pairs {
		fp := joinPath(path, kv[0].Value)
		d.sink.positions[fp] = d.pos(kv[0])
		elem := reflect.New(t.Elem()).Elem()
		d.decode(kv[1], elem, fp)
		m.SetMapIndex(reflect.ValueOf(kv[0].Value).Convert(t.Key()), elem)
	}
	v.Set(m)
}

// structFields maps YAML keys to field indexes of one struct type.
type structFields struct {
	index map[string]int
	names []string // sorted, for "allowed here" messages
}

var fieldCache sync.Map // reflect.Type -> *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{index: map[string]int{}}
	for i := range t.NumField() {
		name := YAMLName(t.Field(i))
		if name == "" {
			continue
		}
		f.index[name] = i
		f.names = append(f.names, name)
	}
	slices.Sort(f.names)
	fieldCache.Store(t, f)
	return f
}

// YAMLName is the YAML key of a struct field ("" for fields not read from YAML).
func YAMLName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "-" || tag == "" {
		return ""
	}
	return tag
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("string %q", v)
		case "!!int":
			return "integer " + v
		case "!!float":
			return "number " + v
		case "!!bool":
			return "boolean " + v
		case "!!null":
			return "null"
		default:
			return fmt.Sprintf("%s %q", n.ShortTag(), v)
		}
	default:
		return "an unsupported node"
	}
}

func quoteHint(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf(" (quote it if you mean the text: \"%s\")", n.Value)
	}
	return ""
}

func scalarInt(n *yaml.Node) (int64, string, bool) {
	var i int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		return 0, fmt.Sprintf("expected an integer, got %s", describe(n)), false
	}
	return i, "", true
}

func scalarFloat(n *yaml.Node) (float64, string, bool) {
	var f float64
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
		return 0, fmt.Sprintf("expected a number, got %s", describe(n)), false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Sprintf("expected a finite number, got %s", n.Value), false
	}
	return f, "", true
}

func scalarDuration(n *yaml.Node) (time.Duration, string, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" && n.Value == "0" {
		return 0, "", true
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return 0, fmt.Sprintf("expected a duration such as \"90s\", \"5m\" or \"24h\", got %s", describe(n)), false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		return 0, fmt.Sprintf("expected a duration such as \"90s\", \"5m\" or \"24h\" (units ns, us, ms, s, m, h), got %q", n.Value), false
	}
	return d, "", true
}

// didYouMean suggests the allowed name closest to an unknown one.
func didYouMean(got string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if dist := editDistance(strings.ToLower(got), strings.ToLower(a)); dist < bestDist {
			best, bestDist = a, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeScalar accepts "rate: 5" for a constant rate.
func (r *Rate) decodeScalar(n *yaml.Node) (string, bool) {
	f, msg, ok := scalarFloat(n)
	if !ok {
		if t := n.ShortTag(); t == "!!float" || t == "!!int" {
			return msg, false
		}
		return fmt.Sprintf("expected a rate in requests/s (a number, or a mapping {constant} or {from, to, shape}), got %s", describe(n)), false
	}
	r.Constant = &f
	return "", true
}

// decodeScalar accepts "prompt: 512" for a constant length.
func (l *LengthDist) decodeScalar(n *yaml.Node) (string, bool) {
	i, _, ok := scalarInt(n)
	if !ok || i > math.MaxInt32 {
		return fmt.Sprintf("expected a token count (an integer, or a mapping {type, value, min, max, mean, stddev, values}), got %s", describe(n)), false
	}
	l.Type, l.Value = DistConstant, int(i)
	return "", true
}

// decodeScalar accepts "scheduling: 5s" for a constant duration.
func (d *DurationDist) decodeScalar(n *yaml.Node) (string, bool) {
	dur, _, ok := scalarDuration(n)
	if !ok {
		return fmt.Sprintf("expected a duration such as \"30s\" or a mapping {type, value, min, max, mean, stddev}, got %s", describe(n)), false
	}
	d.Type, d.Value = DistConstant, dur
	return "", true
}
