package server

import (
	"fmt"
	"net/http"
	"strconv"
)

// APIError is an error answered to the client in vLLM's shape:
//
//	{"error":{"message":"...","type":"BadRequestError","param":"max_tokens","code":400}}
type APIError struct {
	Status  int    // HTTP status
	Type    string // vLLM error type, e.g. "BadRequestError"
	Message string
	Param   string // request field at fault; "" is encoded as null
}

func (e *APIError) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%d %s (%s): %s", e.Status, e.Type, e.Param, e.Message)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

// errorType maps a status to the type name vLLM reports with it.
func errorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequestError"
	case http.StatusNotFound:
		return "NotFoundError"
	case http.StatusMethodNotAllowed:
		return "MethodNotAllowed"
	case http.StatusRequestTimeout:
		return "RequestTimeout"
	case http.StatusRequestEntityTooLarge:
		return "RequestEntityTooLarge"
	case http.StatusUnsupportedMediaType:
		return "UnsupportedMediaType"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailableError"
	default:
		return "InternalServerError"
	}
}

func newError(status int, param, format string, args ...any) *APIError {
	return &APIError{Status: status, Type: errorType(status), Message: fmt.Sprintf(format, args...), Param: param}
}

func badRequest(param, format string, args ...any) *APIError {
	return newError(http.StatusBadRequest, param, format, args...)
}

// errModelNotFound is vLLM's answer for an unknown model.
func errModelNotFound(model string) *APIError {
	return newError(http.StatusNotFound, "model", "The model `%s` does not exist.", model)
}

// appendError encodes e as vLLM's error body.
func appendError(dst []byte, e *APIError) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = appendString(dst, e.Message)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"param":`...)
	if e.Param == "" {
		dst = append(dst, "null"...)
	} else {
		dst = appendString(dst, e.Param)
	}
	dst = append(dst, `,"code":`...)
	dst = appendInt(dst, e.Status)
	return append(dst, "}}"...)
}

// WriteError answers e to the client in vLLM's error shape.
func WriteError(w http.ResponseWriter, e *APIError) {
	body := appendError(make([]byte, 0, 256), e)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
