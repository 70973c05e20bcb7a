package scenario

import (
	"fmt"
	"strings"
)

// FieldError is one problem in a scenario file, located by line, column and field path.
type FieldError struct {
	// File is the scenario's name or path ("" when unknown).
	File string
	// Line and Column are 1-based; 0 when the problem has no position (e.g. a missing field
	// of an empty file).
	Line, Column int
	// Field is the path of the field, e.g. "spec.traffic.phases[1].rate".
	Field string
	// Msg says what is wrong and what is allowed.
	Msg string
}

// Error renders "file:line:column: field: message".
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	switch {
	case e.Line > 0 && e.Column > 0:
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Column)
	case e.Line > 0:
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a scenario file, in file order for decoding problems.
type ErrorList []*FieldError

// Error renders one problem per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// maxErrors bounds how many problems one file reports.
const maxErrors = 25

// position is where a field's value starts in the file.
type position struct{ line, column int }

// errorSink collects located errors for one file.
type errorSink struct {
	file      string
	positions map[string]position
	errs      ErrorList
}

func newErrorSink(file string) *errorSink {
	return &errorSink{file: file, positions: map[string]position{}}
}

// at records an error at an explicit position.
func (s *errorSink) at(p position, field, format string, args ...any) {
	if len(s.errs) >= maxErrors {
		return
	}
	s.errs = append(s.errs, &FieldError{File: s.file, Line: p.line, Column: p.column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// field records an error for a field path, located at the field or its nearest present parent.
func (s *errorSink) field(field, format string, args ...any) {
	s.at(s.lookup(field), field, format, args...)
}

// lookup finds the position of a field path or its closest ancestor.
func (s *errorSink) lookup(field string) position {
	for p := field; p != ""; p = parentPath(p) {
		if pos, ok := s.positions[p]; ok {
			return pos
		}
	}
	return position{}
}

// parentPath strips the last element of a field path ("a.b[2]" -> "a.b", "a.b" -> "a").
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

func (s *errorSink) err() error {
	if len(s.errs) == 0 {
		return nil
	}
	return s.errs
}
