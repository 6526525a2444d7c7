package pb

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/braidkit/braid/jelly"
)

// Errors a caller can match with errors.Is.
var (
	// ErrConnectionLost is returned by calls whose connection closed before
	// the answer arrived (Twisted's PBConnectionLost).
	ErrConnectionLost = errors.New("pb: connection lost")
	// ErrDeadReference is returned by calls on a reference whose connection
	// is gone, or that was released (Twisted's DeadReferenceError).
	ErrDeadReference = errors.New("pb: dead reference")
	// ErrProtocol is wrapped by the error that closed a connection because
	// the peer broke the protocol.
	ErrProtocol = errors.New("pb: protocol error")
	// ErrTooManyReferences is returned when a connection would export more
	// objects than Limits.MaxReferences.
	ErrTooManyReferences = errors.New("Maximum PB reference count exceeded.")
)

// Well-known Twisted failure type names. Errors with these names can be
// trapped by Twisted code with the matching Twisted class.
const (
	TypePBError       = "twisted.spread.pb.Error"
	TypeNoSuchMethod  = "twisted.spread.flavors.NoSuchMethod"
	TypeInsecureJelly = "twisted.spread.jelly.InsecureJelly"
	TypeTypeError     = "builtins.TypeError"
	TypeCopyableFail  = "twisted.spread.pb.CopyableFailure"
	// TypeBraidError is the type name of a Go error that names no type of
	// its own (see TypedError).
	TypeBraidError = "braid.Error"
)

// Base classes every Python exception has, most derived first.
var pythonBases = []string{"builtins.Exception", "builtins.BaseException", "builtins.object"}

// RemoteError is an error raised by the peer: Twisted's CopiedFailure on the
// receiving side, and what a Braid handler's error becomes on the wire.
//
// Match a remote failure by name with Check (like Twisted's Failure.check),
// or, when its type name is registered in Config.ErrorTypes, with errors.As
// on the registered Go type, which Unwrap returns.
type RemoteError struct {
	// Type is the fully qualified type name, e.g. "builtins.ValueError".
	Type string
	// Value is the error message (Python's str(exception)).
	Value string
	// Traceback is the remote traceback text, or Twisted's
	// "Traceback unavailable\n".
	Traceback string
	// Parents are the type names of the exception's class hierarchy, most
	// derived first, as Twisted sends them.
	Parents []string
	// Err is the local Go error built for a registered type name, if any.
	Err error
}

// Error implements error.
func (e *RemoteError) Error() string {
	if e.Value == "" {
		return "pb: remote " + e.Type
	}
	return "pb: remote " + e.Type + ": " + e.Value
}

// Unwrap returns the registered Go error for this type name, if any.
func (e *RemoteError) Unwrap() error { return e.Err }

// Check reports whether the remote error's type, or one of its parents, is
// named name.
func (e *RemoteError) Check(name string) bool {
	if e.Type == name {
		return true
	}
	for _, p := range e.Parents {
		if p == name {
			return true
		}
	}
	return false
}

// TypedError is an error that chooses the type name it carries over the wire.
// A Twisted peer sees it as a failure of that type; a Braid peer that
// registered the name in Config.ErrorTypes gets the Go type back.
type TypedError interface {
	error
	PBType() string
}

// NewError returns an error that crosses the wire with the given type name
// and message, and Twisted's generic PB error as its parent.
func NewError(typeName, message string) *RemoteError {
	parents := append([]string{typeName}, TypePBError)
	if typeName == TypePBError {
		parents = parents[:1]
	}
	return &RemoteError{Type: typeName, Value: message, Parents: append(parents, pythonBases...)}
}

func parentsOf(typeName string, extra ...string) []string {
	p := make([]string, 0, 1+len(extra)+len(pythonBases))
	p = append(p, typeName)
	p = append(p, extra...)
	return append(p, pythonBases...)
}

// failureFor describes a local error as the fields of a CopyableFailure.
func failureFor(err error) *RemoteError {
	var re *RemoteError
	if errors.As(err, &re) {
		if len(re.Parents) == 0 {
			c := *re
			c.Parents = parentsOf(re.Type)
			return &c
		}
		return re
	}
	var te TypedError
	if errors.As(err, &te) {
		return &RemoteError{Type: te.PBType(), Value: err.Error(), Parents: parentsOf(te.PBType())}
	}
	switch {
	case errors.Is(err, jelly.ErrInsecure):
		return &RemoteError{Type: TypeInsecureJelly, Value: err.Error(), Parents: parentsOf(TypeInsecureJelly)}
	case errors.Is(err, ErrTooManyReferences):
		return &RemoteError{Type: TypePBError, Value: err.Error(), Parents: parentsOf(TypePBError)}
	}
	return &RemoteError{Type: TypeBraidError, Value: err.Error(), Parents: parentsOf(TypeBraidError, TypePBError)}
}

// failureExpr renders a failure as Twisted 22.4's CopyableFailure state, with
// the ten keys in Twisted's order so a Twisted peer sees familiar bytes.
func failureExpr(f *RemoteError, unsafeTracebacks bool) jelly.Instance {
	tb := "Traceback unavailable\n"
	if unsafeTracebacks && f.Traceback != "" {
		tb = f.Traceback
	}
	parents := make(jelly.List, len(f.Parents))
	for i, p := range f.Parents {
		parents[i] = p
	}
	return jelly.Instance{Class: TypeCopyableFail, State: jelly.Dict{
		{Key: "count", Value: 1},
		{Key: "type", Value: []byte(f.Type)},
		{Key: "value", Value: f.Value},
		{Key: "captureVars", Value: false},
		{Key: "frames", Value: jelly.List{}},
		{Key: "stack", Value: jelly.List{}},
		{Key: "tb", Value: nil},
		{Key: "parents", Value: parents},
		{Key: "unsafeTracebacks", Value: unsafeTracebacks},
		{Key: "traceback", Value: tb},
	}}
}

// failureFromState builds a RemoteError from a received CopyableFailure state.
func failureFromState(state any) (*RemoteError, error) {
	d, ok := state.(jelly.Dict)
	if !ok {
		return nil, fmt.Errorf("%w: CopyableFailure state is %T, not a dictionary", ErrProtocol, state)
	}
	e := &RemoteError{}
	for _, p := range d {
		switch keyString(p.Key) {
		case "type":
			e.Type = textOf(p.Value)
		case "value":
			e.Value = textOf(p.Value)
		case "traceback":
			e.Traceback = textOf(p.Value)
		case "parents":
			if l, ok := p.Value.(jelly.List); ok {
				for _, x := range l {
					e.Parents = append(e.Parents, textOf(x))
				}
			}
		}
	}
	if e.Type == "" {
		return nil, fmt.Errorf("%w: CopyableFailure without a type", ErrProtocol)
	}
	return e, nil
}

// keyString returns a dictionary key as text when it is text or bytes.
func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case []byte:
		return string(k)
	}
	return ""
}

// textOf renders a received text-ish value (str, bytes, or anything else).
func textOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// errorFromPayload turns the unjellied payload of an `error` message into a
// Go error.
func (b *Broker) errorFromPayload(v any) error {
	var re *RemoteError
	switch v := v.(type) {
	case *RemoteError:
		re = v
	case error:
		return v
	case jelly.Instance:
		re = &RemoteError{Type: v.Class, Parents: []string{v.Class}}
	default:
		if v != nil {
			if cls, ok := b.cfg.Registry.ClassOf(reflect.TypeOf(v)); ok {
				re = &RemoteError{Type: cls, Value: fmt.Sprint(v), Parents: []string{cls}}
				break
			}
		}
		re = &RemoteError{Type: TypePBError, Value: fmt.Sprint(v), Parents: parentsOf(TypePBError)}
	}
	if mk := b.cfg.ErrorTypes[re.Type]; mk != nil && re.Err == nil {
		re.Err = mk(re)
	}
	return re
}

// typeErrorf returns a failure of Python's TypeError, which Twisted raises
// for calls with the wrong arguments.
func typeErrorf(format string, args ...any) *RemoteError {
	return &RemoteError{Type: TypeTypeError, Value: fmt.Sprintf(format, args...), Parents: parentsOf(TypeTypeError)}
}

func noSuchMethod(prefix, name string) *RemoteError {
	return &RemoteError{
		Type:    TypeNoSuchMethod,
		Value:   "No such method: " + strings.ToLower(prefix) + "_" + name,
		Parents: parentsOf(TypeNoSuchMethod, "builtins.AttributeError"),
	}
}
