package congress

// ParseZIP validates a ZIP or ZIP+4 code typed by a person and returns the
// five-digit ZIP as an int (0..99999; format it with %05d). Leading and
// trailing blanks are ignored. Accepted forms are "94110", "94110-1234" and
// "941101234"; the +4 part is checked and then dropped, because districts
// are only known per five-digit ZIP. Anything else fails with ErrInvalidZIP.
//
// It does not allocate, so it can sit on the lookup hot path.
func ParseZIP(s string) (int, error) {
	i, j := 0, len(s)
	for i < j && isBlank(s[i]) {
		i++
	}
	for j > i && isBlank(s[j-1]) {
		j--
	}
	s = s[i:j]
	switch {
	case len(s) == 5:
	case len(s) == 9:
		if !allDigits(s[5:]) {
			return 0, ErrInvalidZIP
		}
	case len(s) == 10 && s[5] == '-':
		if !allDigits(s[6:]) {
			return 0, ErrInvalidZIP
		}
	default:
		return 0, ErrInvalidZIP
	}
	z := 0
	for k := 0; k < 5; k++ {
		c := s[k]
		if c < '0' || c > '9' {
			return 0, ErrInvalidZIP
		}
		z = z*10 + int(c-'0')
	}
	return z, nil
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func allDigits(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return true
}
