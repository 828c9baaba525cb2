package store

import "fmt"

// wrapf names the operation in an error from the database ("store: save
// delivery settings: ..."), so that a log line says what failed; nil stays
// nil. Errors the store returns on purpose (ErrNotFound, ErrConflict,
// *LimitError, ...) are returned as they are: callers compare them with
// errors.Is and errors.As and show their text.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: "+format+": %w", append(args, err)...)
}
