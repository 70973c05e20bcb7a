package app

import (
	"errors"
	"fmt"
)

// Exit codes of the saturn command.
const (
	ExitOK               = 0
	ExitAssertionsFailed = 1
	ExitInvalid          = 2
)

// ExitError carries the process exit code of an error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ErrAssertionsFailed is wrapped when a run's verdict is fail.
var ErrAssertionsFailed = errors.New("assertions failed")

func invalid(format string, args ...any) error {
	return &ExitError{Code: ExitInvalid, Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error from Run to the process exit code: 0 for nil, the
// code of an *ExitError, else 1.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}
