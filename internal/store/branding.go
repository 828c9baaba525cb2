package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/branding"
)

// brandingKey is the app_settings row that holds the branding as JSON.
const brandingKey = "branding"

// Branding reads the organization's branding (the zero value until an
// admin sets it).
func (s *Store) Branding(ctx context.Context) (branding.Branding, error) {
	var b branding.Branding
	v, err := s.Setting(ctx, brandingKey)
	if errors.Is(err, ErrNotFound) {
		return b, nil
	}
	if err != nil {
		return b, err
	}
	return b, json.Unmarshal([]byte(v), &b)
}

// SetBranding saves the branding and its audit entry in one transaction.
// The caller validated it (branding.Branding.Validate).
func (s *Store) SetBranding(ctx context.Context, b branding.Branding, a Audit) error {
	v, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Save(&appSetting{Key: brandingKey, Value: string(v), UpdatedAt: time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("store: set branding: %w", err)
		}
		if a.Action == "" {
			a.Action = "branding.update"
		}
		a.ObjectType = "settings"
		a.ObjectID = brandingKey
		return writeAudit(tx, a)
	})
}
