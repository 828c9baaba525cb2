package web

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/packet"
	"github.com/outreach-org/outreach/internal/store"
)

func (s *Server) packetRoutes(adm *echo.Group) {
	s.staff(adm, http.MethodGet, "/campaigns/:id/packets", auth.PermViewDeliveries, s.packetsPage)
	s.staff(adm, http.MethodGet, "/campaigns/:id/packets/:office", auth.PermViewDeliveries, s.packetPDF)
}

type packetsView struct {
	Campaign campaign.Campaign
	Offices  []packetOffice
}

// packetOffice is an office with letters, its member named.
type packetOffice struct {
	store.OfficeCount
	Member string
}

func (s *Server) packetCampaign(c echo.Context) (campaign.Campaign, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return campaign.Campaign{}, err
	}
	return s.deps.Store.Campaign(c.Request().Context(), id)
}

func (s *Server) packetsPage(c echo.Context) error {
	camp, err := s.packetCampaign(c)
	if err != nil {
		return err
	}
	offices, err := s.deps.Store.OfficeCounts(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	v := packetsView{Campaign: camp}
	for _, o := range offices {
		v.Offices = append(v.Offices, packetOffice{OfficeCount: o, Member: s.memberOf(o.BioguideID, o.OfficeCode)})
	}
	return s.render(c, http.StatusOK, "packets", v, false)
}

// packetPDF assembles the printable packet of one office on demand from
// the stored letters: a cover sheet, then one letter per page.
func (s *Server) packetPDF(c echo.Context) error {
	camp, err := s.packetCampaign(c)
	if err != nil {
		return err
	}
	office := strings.ToUpper(strings.TrimSuffix(c.Param("office"), ".pdf"))
	letters, err := s.deps.Store.OfficeLetters(c.Request().Context(), camp.ID, office, packet.MaxLetters)
	if err != nil {
		return err
	}
	if len(letters) == 0 {
		return store.ErrNotFound
	}
	info := packet.Info{Campaign: delivery.Campaign{ID: camp.ID, Slug: camp.Slug, Title: camp.Title, LOCTopic: camp.LOCTopic},
		Organization: s.deps.OrgName, Date: s.deps.Now()}
	if camp.Organizational() {
		// The cover of a sign-on letter counts the organizations the
		// letter lists (approved ones: the list is final once delivered).
		sigs, err := s.deps.Store.Signatories(c.Request().Context(), camp.ID, store.SignApproved)
		if err != nil {
			return err
		}
		for _, x := range sigs {
			info.Signatories = append(info.Signatories, delivery.Constituent{FirstName: x.Organization, City: x.City, State: x.State})
		}
	}
	msgs := make([]delivery.Message, 0, len(letters))
	for _, l := range letters {
		var sl delivery.Sealed
		if err := s.deps.Keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
			return err
		}
		info.Office = sl.Office
		msgs = append(msgs, sl.Message(l.ID, l.DeliveryID, info.Campaign, "", l.CreatedAt))
	}
	var buf bytes.Buffer
	if err := packet.Write(&buf, info, msgs); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+camp.Slug+"-"+office+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}
