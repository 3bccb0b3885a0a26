// Writes test/go-format/testdata/go-outputs.json: what Go's strconv prints for the inputs the
// go-format tests check (run: go run scripts/go-format-fixture.go > test/go-format/testdata/go-outputs.json).
package main

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
)

type floatCase struct {
	Bits string `json:"bits"` // float64 bit pattern, hex: exact whatever JSON does to numbers
	F    string `json:"f"`
	G    string `json:"g"`
	G2   string `json:"g2"`
	G6   string `json:"g6"`
}

type quoteCase struct {
	In  []int  `json:"in"` // the string as code points
	Out string `json:"out"`
}

func main() {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1.5, -2, 42, 0.1, 0.2, 0.1 + 0.2, 1.0 / 3,
		1e-4, 1e-5, 0.0001, 0.00001, 1.5e-7, 0.000012, 123, 123456, 999999, 1e6, 1e7, 1234567, 1e20, 1e21, 1e22,
		1e100, 1e-100, 1e-300, 5e-324, math.MaxFloat64, math.SmallestNonzeroFloat64, 2.5e-5, 9.999999e5,
		-1e6, -0.0001, 12345.678, 100, 1e15, 1e16, 123456789012345678, math.Pi, math.E, 0.05, 0.95, 0.99,
		math.Inf(1), math.Inf(-1), math.NaN(), 2e-308, 4.9406564584124654e-324, 1 << 53, 1<<53 + 2, 3.0e10}
	var fc []floatCase
	for _, v := range vals {
		fc = append(fc, floatCase{
			Bits: strconv.FormatUint(math.Float64bits(v), 16),
			F:    strconv.FormatFloat(v, 'f', -1, 64),
			G:    strconv.FormatFloat(v, 'g', -1, 64),
			G2:   strconv.FormatFloat(v, 'g', 2, 64),
			G6:   strconv.FormatFloat(v, 'g', 6, 64),
		})
	}
	strs := []string{"", "abc", "a\"b\\c\n\x01", "é", "tab\there", "\a\b\f\r\v", "\x7f", "\u0080\u009f", "\u00ad",
		"\u2028\u2029", "日本語", "😀", "\ufffd", "\u200b", "\ue000", "\U0001F600x", "{__name__=\"x\"}", "le=\"+Inf\"", "\x00", "\u00a0", "\u0378"}
	var qc []quoteCase
	for _, s := range strs {
		var cps []int
		for _, r := range s {
			cps = append(cps, int(r))
		}
		if cps == nil {
			cps = []int{}
		}
		qc = append(qc, quoteCase{In: cps, Out: strconv.Quote(s)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"go": "strconv (Go 1.19)", "floats": fc, "quotes": qc})
}
