package action

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/letter"
)

// Errors of choosing the offices, mapped to messages on the form.
var (
	ErrNeedDistrict  = errors.New("the ZIP code spans several districts: choose one")
	ErrNeedAddress   = errors.New("the ZIP code does not tell the district")
	ErrStateMismatch = errors.New("the ZIP code is not in the state chosen")
	ErrNoTargets     = errors.New("no office to write to")
)

// Recipients are the offices a supporter's letters go to, and the seats
// that are vacant (offered no letter; the page says so).
type Recipients struct {
	Members   []*congress.Member
	Vacancies []congress.Vacancy
	// Candidates are the districts to choose from when ErrNeedDistrict.
	Candidates []congress.District
	// Own are all the supporter's members, selected or not: with
	// ErrNoTargets the page names them and says why none is written to.
	Own []*congress.Member
}

// ChooseRecipients picks, from a lookup result, the supporter's own
// members (the House member of the one district, the senators of their
// state) that some rule of the campaign selects. When none does it
// returns ErrNoTargets with Members set to the supporter's members, so
// the page can say who they are and why none is written to.
func ChooseRecipients(dir *congress.Directory, r *congress.Result, f Form, targets campaign.Targets) (Recipients, error) {
	var out Recipients
	inState := false
	for _, st := range r.States {
		if st == f.State {
			inState = true
		}
	}
	if !inState {
		return out, ErrStateMismatch
	}
	if r.NeedsAddress {
		// A PO-box ZIP says the state, not the district: the supporter
		// picks among the state's districts (or types their home ZIP).
		var inState []congress.District
		for _, d := range dir.Districts() {
			if d.State == f.State {
				inState = append(inState, d)
			}
		}
		for _, d := range inState {
			if len(inState) == 1 || (f.District != "" && districtValue(d) == f.District) {
				nr, err := dir.ForDistrict(d)
				if err != nil {
					return out, err
				}
				return ChooseRecipients(dir, nr, Form{State: f.State}, targets)
			}
		}
		out.Candidates = inState
		return out, ErrNeedAddress
	}
	var districts []congress.District
	for _, d := range r.Districts {
		if d.State == f.State {
			districts = append(districts, d)
		}
	}
	if len(districts) > 1 {
		if f.District != "" {
			for _, d := range districts {
				if districtValue(d) == f.District {
					nr, err := dir.ForDistrict(d)
					if err != nil {
						return out, err
					}
					return ChooseRecipients(dir, nr, Form{State: f.State}, targets)
				}
			}
		}
		out.Candidates = districts
		return out, ErrNeedDistrict
	}
	for _, m := range r.Members {
		if m.State != f.State {
			continue
		}
		if d, ok := m.Seat(); ok && (len(districts) != 1 || d != districts[0]) {
			continue
		}
		out.Own = append(out.Own, m)
		if targets.Reaches(dir, m) {
			out.Members = append(out.Members, m)
		}
	}
	for _, v := range r.Vacancies {
		if v.State != f.State || !targets.ReachesChamber(v.Chamber) {
			continue
		}
		if v.District != nil && (len(districts) != 1 || *v.District != districts[0].Number) {
			continue
		}
		out.Vacancies = append(out.Vacancies, v)
	}
	if len(out.Members) == 0 && len(out.Vacancies) == 0 {
		return out, ErrNoTargets
	}
	return out, nil
}

// DistrictValue is the form value of a district: "CA-11", "AK-0".
func DistrictValue(d congress.District) string { return districtValue(d) }

func districtValue(d congress.District) string { return d.State + "-" + strconv.Itoa(d.Number) }

// Letter is one rendered letter: the member, and the letter with its
// sender and office as it is sealed and handed to a channel. Its delivered
// form is delivery.Compose(l.Message, ...), on the review page as in
// every channel.
type Letter struct {
	Member *congress.Member
	delivery.Message
}

// Data is the merge data of a supporter writing to m.
func Data(m *congress.Member, f Form, date time.Time) letter.Data {
	d := campaign.MemberData(m)
	d.FirstName, d.LastName, d.City, d.State, d.PersonalNote = f.FirstName, f.LastName, f.City, f.State, f.Note
	d.Date = date.Format("January 2, 2006")
	return d
}

// Office is the congressional office of m.
func Office(m *congress.Member) delivery.Office {
	o := delivery.Office{BioguideID: m.BioguideID, Name: m.Name, Title: m.Title, Gender: m.Gender, Chamber: string(m.Chamber), State: m.State, District: m.District}
	if d, ok := m.Seat(); ok {
		o.Code = d.Code()
	} else {
		o.Code = fmt.Sprintf("S%s%02d", m.State, m.SenateClass)
	}
	return o
}

// Constituent is the supporter of the form as a channel needs them.
func (f Form) Constituent() delivery.Constituent {
	return delivery.Constituent{Prefix: f.Prefix, FirstName: f.FirstName, LastName: f.LastName, Address1: f.Address1, Address2: f.Address2,
		City: f.City, State: f.State, ZIP: f.ZIP, Phone: f.Phone, Email: f.Email}
}

// Render fills the campaign's letter for one office: the supporter of f
// writing to m (with m's committee seats) on date, with the statistics of
// stats; org signs the organization statement.
func Render(ctx context.Context, cp *campaign.Compiled, m *congress.Member, seats campaign.Seats, f Form, stats letter.StatSource, date time.Time, org string) (Letter, error) {
	return RenderWith(ctx, cp, m, seats, f, stats, date, org, nil)
}

// RenderWith is Render with the merge data changed by edit (when not nil)
// before the letter is filled: the Spanish rendering greets the member
// and dates the letter in Spanish.
func RenderWith(ctx context.Context, cp *campaign.Compiled, m *congress.Member, seats campaign.Seats, f Form, stats letter.StatSource, date time.Time, org string, edit func(*letter.Data)) (Letter, error) {
	d := Data(m, f, date)
	seats.Apply(&d)
	if edit != nil {
		edit(&d)
	}
	r, err := cp.Render(ctx, d, stats)
	if err != nil {
		return Letter{Member: m}, err
	}
	msg := r.Message()
	msg.From, msg.Office, msg.Organization = f.Constituent(), Office(m), org
	return Letter{Member: m, Message: msg}, nil
}
