package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/contacts"
)

// The office contacts directory (package contacts), in its own table:
// nothing that refreshes the congressional data touches it.

type contactRow struct {
	ID         int64 `gorm:"primaryKey"`
	BioguideID string
	Position   int
	Name       string
	Role       string
	Email      string
	Fax        string
	UpdatedAt  time.Time
}

func (contactRow) TableName() string { return "office_contacts" }

// OfficeContact is a stored contact.
type OfficeContact struct {
	contacts.Contact
	UpdatedAt time.Time
}

func (r contactRow) contact() OfficeContact {
	return OfficeContact{Contact: contacts.Contact{BioguideID: r.BioguideID, Name: r.Name, Role: r.Role, Email: r.Email, Fax: r.Fax},
		UpdatedAt: r.UpdatedAt.UTC()}
}

// OfficeContacts lists an office's contacts in order.
func (s *Store) OfficeContacts(ctx context.Context, bioguideID string) ([]OfficeContact, error) {
	var rows []contactRow
	if err := s.db.WithContext(ctx).Where("bioguide_id = ?", bioguideID).Order("position").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: office contacts: %w", err)
	}
	out := make([]OfficeContact, len(rows))
	for i, r := range rows {
		out[i] = r.contact()
	}
	return out, nil
}

// AllOfficeContacts lists every contact, by office and order.
func (s *Store) AllOfficeContacts(ctx context.Context) ([]OfficeContact, error) {
	var rows []contactRow
	if err := s.db.WithContext(ctx).Order("bioguide_id, position").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: all office contacts: %w", err)
	}
	out := make([]OfficeContact, len(rows))
	for i, r := range rows {
		out[i] = r.contact()
	}
	return out, nil
}

// OfficeEmails maps every office that has a contact with an email address
// to the address the email channel uses (contacts.Primary: its first
// contact with one).
func (s *Store) OfficeEmails(ctx context.Context) (map[string]string, error) {
	var rows []contactRow
	if err := s.db.WithContext(ctx).Select("bioguide_id, position, email").Where("email <> ''").Order("bioguide_id, position").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: office emails: %w", err)
	}
	out := map[string]string{}
	for _, r := range rows {
		if _, ok := out[r.BioguideID]; !ok {
			out[r.BioguideID] = r.Email
		}
	}
	return out, nil
}

// ReplaceOfficeContacts makes list (checked by contacts.CheckOffice) the
// office's contacts, in one transaction with its audit entry; an empty
// list removes them all.
func (s *Store) ReplaceOfficeContacts(ctx context.Context, bioguideID string, list []contacts.Contact, a Audit) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := replaceContacts(tx, bioguideID, list, time.Now().UTC()); err != nil {
			return err
		}
		a.ObjectType, a.ObjectID = "office", bioguideID
		if a.Detail == "" {
			a.Detail = strconv.Itoa(len(list)) + " contacts"
		}
		return writeAudit(tx, a)
	})
}

// ImportOfficeContacts replaces the contacts of every office in p (a
// contacts.ParseCSV result without errors) with the file's, all in one
// transaction; offices the file does not name keep theirs. It returns the
// number of contacts written.
func (s *Store) ImportOfficeContacts(ctx context.Context, p contacts.Parsed, a Audit) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		for _, id := range p.Offices {
			if err := replaceContacts(tx, id, p.Contacts[id], now); err != nil {
				return err
			}
			n += len(p.Contacts[id])
		}
		a.ObjectType = "office_contacts"
		a.Detail = strconv.Itoa(n) + " contacts of " + strconv.Itoa(len(p.Offices)) + " offices"
		return writeAudit(tx, a)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func replaceContacts(tx *gorm.DB, bioguideID string, list []contacts.Contact, now time.Time) error {
	if err := tx.Where("bioguide_id = ?", bioguideID).Delete(&contactRow{}).Error; err != nil {
		return fmt.Errorf("store: replace contacts: %w", err)
	}
	if len(list) == 0 {
		return nil
	}
	rows := make([]contactRow, len(list))
	for i, c := range list {
		rows[i] = contactRow{BioguideID: bioguideID, Position: i + 1, Name: c.Name, Role: c.Role, Email: c.Email, Fax: c.Fax, UpdatedAt: now}
	}
	return wrapf(tx.Create(&rows).Error, "replace contacts")
}

// WaitingByOffice counts, per office, a campaign's letters that no
// channel has taken yet (pending, or queued for office hours, the hourly
// cap, a retry or a delivery wave), for the coverage view.
func (s *Store) WaitingByOffice(ctx context.Context, campaignID int64) ([]OfficeCount, error) {
	var out []OfficeCount
	err := s.db.WithContext(ctx).Model(&Letter{}).Select("office_code, bioguide_id, COUNT(*) AS n").
		Where("campaign_id = ? AND status IN ? AND sending_since IS NULL", campaignID, []string{"pending", "queued"}).
		Group("office_code, bioguide_id").Order("office_code").Scan(&out).Error
	return out, wrapf(err, "waiting by office")
}
