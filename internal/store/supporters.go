package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/tracking"
	"gorm.io/gorm"
)

// How a supporter joined the list (optins.origin).
const (
	OriginAction = "action" // the double opt-in of the action flow
	OriginImport = "import" // a CSV import with recorded consent
)

// Supporter statuses a list can be filtered by. A segment (for email) is
// always SupportersSendable.
const (
	// SupportersSendable: joined (double opt-in confirmed, or imported
	// with consent), not unsubscribed, address not suppressed.
	SupportersSendable = "subscribed"
	// SupportersLeft: joined, then unsubscribed or suppressed (bounce,
	// spam report, unsubscribe from any email).
	SupportersLeft = "unsubscribed"
	// SupportersAll: everyone who joined.
	SupportersAll = "all"
)

// District is a House district: a state's USPS code and the district's
// number (0: at-large).
type District struct {
	State  string
	Number int
}

// SupporterFilter selects supporters of the list. Every condition is SQL
// on the optins table's non-personal columns (and, for the campaign
// conditions, the submissions, letters and responses), never on sealed
// data. Zero values select everything.
type SupporterFilter struct {
	// CampaignID: supporters who joined through this campaign or took
	// part in it (a confirmed submission).
	CampaignID int64
	// States and Districts: the supporter's state is one of States, and
	// (when Districts is set) their House district one of Districts.
	States    []string
	Districts []District
	// Source: joined through a link with this source code.
	Source string
	// Lang: the language the supporter reads (en, es).
	Lang string
	// From and To bound when the supporter joined (confirmed_at): at or
	// after From, before To.
	From, To time.Time
	// Origin: OriginAction or OriginImport; "" both.
	Origin string
	// NotRepliedCampaignID: the House office of the supporter's district
	// has recorded no reply (tracking.ReplySubstances) to any letter of
	// this campaign. Supporters whose district is unknown do not match.
	NotRepliedCampaignID int64
	// NotWrittenCampaignID: the supporter has no confirmed submission on
	// this campaign.
	NotWrittenCampaignID int64
	// Committee and CommitteeStates: the supporter's state is one of the
	// states of the committee's members (resolved by the caller from the
	// congressional data: the store knows no committees). A committee
	// whose states are empty selects nobody.
	Committee       string
	CommitteeStates []string
	// JoinedBy, when set, keeps only supporters who joined at or before it
	// (a mailing's cutoff: those who join after sending began are not
	// recipients).
	JoinedBy time.Time
	// Status: SupportersSendable (also for ""), SupportersLeft or
	// SupportersAll.
	Status string
}

// Supporter is one supporter of the list. Sealed holds the personal data
// (JSON {"email", "first_name", "last_name"}), sealed to
// action.OptInAAD(EmailIndex); the other fields are not personal.
type Supporter struct {
	EmailIndex     string
	Sealed         string
	Lang           string
	CampaignID     int64 // the campaign they joined through; 0: none (imported without one)
	State          string
	District       *int
	Source         string
	Origin         string
	JoinedAt       time.Time // the double opt-in's confirmation, or the import
	UnsubscribedAt *time.Time
	Suppressed     bool
}

// Sendable tells whether email may go to the supporter.
func (s Supporter) Sendable() bool { return s.UnsubscribedAt == nil && !s.Suppressed }

// supporterCols are the columns a Supporter is scanned from.
const supporterCols = `o.email_index, o.sealed, o.lang, COALESCE(o.campaign_id, 0), o.state, o.district, o.source, o.origin,
	o.confirmed_at, o.unsubscribed_at, EXISTS (SELECT 1 FROM email_suppressions x WHERE x.email_index = o.email_index)`

// ErrInvalidFilter is a supporter filter that cannot be applied (an
// unknown status or origin).
var ErrInvalidFilter = errors.New("invalid supporter filter")

// where is f as SQL conditions on optins o.
func (f SupporterFilter) where() (string, []any, error) {
	conds := []string{"o.confirmed_at IS NOT NULL"}
	var args []any
	add := func(c string, a ...any) { conds, args = append(conds, c), append(args, a...) }
	suppressed := "EXISTS (SELECT 1 FROM email_suppressions x WHERE x.email_index = o.email_index)"
	switch f.Status {
	case "", SupportersSendable:
		add("o.unsubscribed_at IS NULL AND NOT " + suppressed)
	case SupportersLeft:
		add("(o.unsubscribed_at IS NOT NULL OR " + suppressed + ")")
	case SupportersAll:
	default:
		return "", nil, fmt.Errorf("%w: status must be %s, %s or %s", ErrInvalidFilter, SupportersSendable, SupportersLeft, SupportersAll)
	}
	switch f.Origin {
	case "":
	case OriginAction, OriginImport:
		add("o.origin = ?", f.Origin)
	default:
		return "", nil, fmt.Errorf("%w: origin must be %s or %s", ErrInvalidFilter, OriginAction, OriginImport)
	}
	if f.CampaignID != 0 {
		add(`(o.campaign_id = ? OR EXISTS (SELECT 1 FROM submissions s
			WHERE s.campaign_id = ? AND s.email_index = o.email_index AND s.status = 'confirmed'))`, f.CampaignID, f.CampaignID)
	}
	if len(f.States) > 0 {
		add("o.state IN ?", f.States)
	}
	if len(f.Districts) > 0 {
		var ors []string
		for _, d := range f.Districts {
			ors = append(ors, "(o.state = ? AND o.district = ?)")
			args = append(args, d.State, d.Number)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if f.Source != "" {
		add("o.source = ?", f.Source)
	}
	if f.Lang != "" {
		add("o.lang = ?", f.Lang)
	}
	if !f.From.IsZero() {
		add("o.confirmed_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("o.confirmed_at < ?", f.To.UTC())
	}
	if f.Committee != "" {
		if len(f.CommitteeStates) == 0 {
			add("1 = 0")
		} else {
			add("o.state IN ?", f.CommitteeStates)
		}
	}
	if !f.JoinedBy.IsZero() {
		add("o.confirmed_at <= ?", f.JoinedBy.UTC())
	}
	if f.NotRepliedCampaignID != 0 {
		add(`o.district IS NOT NULL AND NOT EXISTS (SELECT 1 FROM responses r JOIN letters l ON l.id = r.letter_id
			WHERE r.campaign_id = ? AND r.substance IN ? AND l.chamber = 'house' AND l.state = o.state AND l.district = o.district)`,
			f.NotRepliedCampaignID, tracking.ReplySubstances)
	}
	if f.NotWrittenCampaignID != 0 {
		add(`NOT EXISTS (SELECT 1 FROM submissions s
			WHERE s.campaign_id = ? AND s.email_index = o.email_index AND s.status = 'confirmed')`, f.NotWrittenCampaignID)
	}
	return strings.Join(conds, " AND "), args, nil
}

// CountSupporters counts the supporters f selects.
func (s *Store) CountSupporters(ctx context.Context, f SupporterFilter) (int64, error) {
	where, args, err := f.where()
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM optins o WHERE "+where, args...).Scan(&n).Error
	return n, wrapf(err, "count supporters")
}

// SupporterCounts counts the supporters f selects by state and by source
// (what staff without access to personal data see of a list).
type SupporterCounts struct {
	Total    int64            `json:"total"`
	ByState  map[string]int64 `json:"by_state"`
	BySource map[string]int64 `json:"by_source"`
}

// CountSupportersBy counts the supporters f selects, in total, by state
// and by source.
func (s *Store) CountSupportersBy(ctx context.Context, f SupporterFilter) (SupporterCounts, error) {
	where, args, err := f.where()
	if err != nil {
		return SupporterCounts{}, err
	}
	out := SupporterCounts{ByState: map[string]int64{}, BySource: map[string]int64{}}
	for _, col := range []string{"state", "source"} {
		rows, err := s.db.WithContext(ctx).Raw("SELECT o."+col+", COUNT(*) FROM optins o WHERE "+where+" GROUP BY o."+col, args...).Rows()
		if err != nil {
			return SupporterCounts{}, wrapf(err, "count supporters")
		}
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return SupporterCounts{}, wrapf(err, "count supporters")
			}
			if col == "state" {
				out.ByState[k] = n
				out.Total += n
			} else {
				out.BySource[k] = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return SupporterCounts{}, wrapf(err, "count supporters")
		}
	}
	return out, nil
}

// ListSupporters is one page of the supporters f selects, the most
// recently joined first.
func (s *Store) ListSupporters(ctx context.Context, f SupporterFilter, limit, offset int) ([]Supporter, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, err
	}
	args = append(args, limit, offset)
	return s.scanSupporters(s.db.WithContext(ctx), "SELECT "+supporterCols+" FROM optins o WHERE "+where+
		" ORDER BY o.confirmed_at DESC, o.email_index LIMIT ? OFFSET ?", args)
}

// EachSupporterBatch streams the sendable supporters f selects (f.Status
// is ignored: unsubscribed and suppressed supporters never come), in
// batches of at most size, ordered by email index: each batch is one
// query from where the last ended (keyset), so a list of any length is
// read in bounded memory, and a supporter who unsubscribes while it runs
// is left out of the batches read after. fn returning an error stops it.
func (s *Store) EachSupporterBatch(ctx context.Context, f SupporterFilter, size int, fn func([]Supporter) error) error {
	f.Status = SupportersSendable
	return s.EachSupporterList(ctx, f, size, fn)
}

// EachSupporterList is EachSupporterBatch for a list rather than a
// segment: f.Status applies (the export of those who left, say). Never
// use it to choose whom to email.
func (s *Store) EachSupporterList(ctx context.Context, f SupporterFilter, size int, fn func([]Supporter) error) error {
	if size <= 0 {
		size = 1000
	}
	where, args, err := f.where()
	if err != nil {
		return err
	}
	after := ""
	for {
		batch, err := s.scanSupporters(s.db.WithContext(ctx), "SELECT "+supporterCols+" FROM optins o WHERE "+where+
			" AND o.email_index > ? ORDER BY o.email_index LIMIT ?", append(append([]any(nil), args...), after, size))
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		if len(batch) < size {
			return nil
		}
		after = batch[len(batch)-1].EmailIndex
	}
}

// SupporterByIndex reads one supporter of the list by the blind index of
// their email (ErrNotFound: not on the list; one who has not confirmed
// the double opt-in is not on it).
func (s *Store) SupporterByIndex(ctx context.Context, emailIndex string) (Supporter, error) {
	out, err := s.scanSupporters(s.db.WithContext(ctx), "SELECT "+supporterCols+
		" FROM optins o WHERE o.email_index = ? AND o.confirmed_at IS NOT NULL", []any{emailIndex})
	if err != nil {
		return Supporter{}, err
	}
	if len(out) == 0 {
		return Supporter{}, ErrNotFound
	}
	return out[0], nil
}

func (s *Store) scanSupporters(db *gorm.DB, q string, args []any) ([]Supporter, error) {
	rows, err := db.Raw(q, args...).Rows()
	if err != nil {
		return nil, wrapf(err, "supporters")
	}
	defer rows.Close()
	var out []Supporter
	for rows.Next() {
		var sp Supporter
		var district *int64
		if err := rows.Scan(&sp.EmailIndex, &sp.Sealed, &sp.Lang, &sp.CampaignID, &sp.State, &district, &sp.Source, &sp.Origin,
			&sp.JoinedAt, &sp.UnsubscribedAt, &sp.Suppressed); err != nil {
			return nil, wrapf(err, "supporters")
		}
		if district != nil {
			d := int(*district)
			sp.District = &d
		}
		out = append(out, sp)
	}
	return out, wrapf(rows.Err(), "supporters")
}

// SupporterImport is one row of a supporter import, checked and sealed by
// its caller (the CSV reading, the consent column and the sealing are the
// supporters package's): Line is the row's number in the file.
type SupporterImport struct {
	Line       int
	EmailIndex string
	Sealed     string // sealed to action.OptInAAD(EmailIndex)
	Lang       string
	CampaignID int64
	State      string
	District   *int
	Source     string
}

// RowError is a row of an import that was not imported, and why (never
// the row's personal data).
type RowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// ImportReport is what an import did: rows added to the list, rows of
// supporters who had asked to join and are now on it (Confirmed), rows of
// supporters already on it (left as they were), and rows refused.
type ImportReport struct {
	Added     int        `json:"added"`
	Confirmed int        `json:"confirmed"`
	Already   int        `json:"already"`
	Refused   []RowError `json:"refused"`
}

// ImportSupporters adds consenting supporters to the list, as joined now,
// in one transaction with its audit entry (counts only). Rows are refused,
// and reported by line, when the address unsubscribed or is suppressed
// (an import never subscribes anyone again), or when the same address
// came earlier in the file. A supporter already on the list is
// left as they were.
func (s *Store) ImportSupporters(ctx context.Context, rows []SupporterImport, now time.Time, a Audit) (ImportReport, error) {
	var rep ImportReport
	now = now.UTC()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		seen := map[string]int{}
		for start := 0; start < len(rows); start += 500 {
			chunk := rows[start:min(start+500, len(rows))]
			idx := make([]string, len(chunk))
			for i, r := range chunk {
				idx[i] = r.EmailIndex
			}
			var existing []optinRow
			if err := tx.Where("email_index IN ?", idx).Find(&existing).Error; err != nil {
				return wrapf(err, "import supporters")
			}
			have := make(map[string]optinRow, len(existing))
			for _, o := range existing {
				have[o.EmailIndex] = o
			}
			var sup []string
			if err := tx.Model(&suppressionRow{}).Where("email_index IN ?", idx).Pluck("email_index", &sup).Error; err != nil {
				return wrapf(err, "import supporters")
			}
			suppressed := make(map[string]bool, len(sup))
			for _, x := range sup {
				suppressed[x] = true
			}
			for _, r := range chunk {
				if first, ok := seen[r.EmailIndex]; ok {
					rep.Refused = append(rep.Refused, RowError{Line: r.Line, Field: "email", Reason: fmt.Sprintf("the same address as row %d", first)})
					continue
				}
				seen[r.EmailIndex] = r.Line
				o, exists := have[r.EmailIndex]
				switch {
				case exists && o.UnsubscribedAt != nil:
					rep.Refused = append(rep.Refused, RowError{Line: r.Line, Field: "email", Reason: "unsubscribed: an import cannot subscribe them again"})
					continue
				case suppressed[r.EmailIndex]:
					rep.Refused = append(rep.Refused, RowError{Line: r.Line, Field: "email", Reason: "suppressed (unsubscribed, bounced or reported spam): an import cannot subscribe them again"})
					continue
				case exists && o.ConfirmedAt != nil:
					rep.Already++
					continue
				}
				row := optinRow{EmailIndex: r.EmailIndex, Sealed: r.Sealed, Lang: r.Lang, RequestedAt: now, ConfirmedAt: &now,
					State: r.State, District: r.District, Source: r.Source, Origin: OriginImport}
				if r.CampaignID != 0 {
					cid := r.CampaignID
					row.CampaignID = &cid
				}
				if exists {
					// asked to join and never confirmed: the import's consent
					// completes it
					if err := tx.Model(&optinRow{}).Where("email_index = ? AND unsubscribed_at IS NULL", r.EmailIndex).
						Updates(map[string]any{"sealed": r.Sealed, "lang": r.Lang, "confirmed_at": now, "state": r.State, "district": r.District,
							"source": r.Source, "origin": OriginImport, "campaign_id": row.CampaignID}).Error; err != nil {
						return wrapf(err, "import supporters")
					}
					rep.Confirmed++
					continue
				}
				if err := tx.Create(&row).Error; err != nil {
					return wrapf(err, "import supporters")
				}
				rep.Added++
			}
		}
		a.ObjectType = "supporters"
		a.Detail = fmt.Sprintf("added %d, confirmed %d, already on the list %d, refused %d", rep.Added, rep.Confirmed, rep.Already, len(rep.Refused))
		return writeAudit(tx, a)
	})
	if err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}
