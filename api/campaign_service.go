package api

import (
	"context"
	"log/slog"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/quiet"
	"github.com/ternsms/tern/pipeline/campaigns"
	"github.com/ternsms/tern/pipeline/contacts"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// CampaignStore keeps and moves campaigns; campaigns.Store is one.
type CampaignStore interface {
	Create(ctx context.Context, c campaigns.Campaign) (campaigns.Campaign, error)
	Get(ctx context.Context, tenant, id string) (campaigns.Campaign, error)
	List(ctx context.Context, tenant string, pageSize int, token string) ([]campaigns.Campaign, string, error)
	Act(ctx context.Context, tenant, id string, a campaign.Action) (campaigns.Campaign, error)
	EstimateCampaign(ctx context.Context, tenant, id string) (int64, int64, campaigns.Estimate, error)
}

// CampaignStats reports a campaign's messages from analytics;
// analytics.Store is one.
type CampaignStats interface {
	CampaignStats(ctx context.Context, tenantID, campaignID string) (analytics.CampaignStats, error)
}

// ClickCounter counts a campaign's link clicks (analytics, from the
// clicks topic).
type ClickCounter interface {
	CampaignClicks(ctx context.Context, tenantID, campaignID string) (int64, error)
}

// CampaignDeps are what the campaign service calls.
type CampaignDeps struct {
	Campaigns CampaignStore
	// Stats and Clicks fill WatchCampaign's delivered, undelivered and
	// clicks; nil leaves them 0.
	Stats  CampaignStats
	Clicks ClickCounter
	// Started is told that a campaign was launched or resumed, so that
	// this instance's runner starts it without waiting for its poll.
	Started func()
	Log     *slog.Logger
}

type campaignService struct{ d CampaignDeps }

var _ ternv1connect.CampaignServiceHandler = (*campaignService)(nil)

// NewCampaignService returns the CampaignService handler over d.
func NewCampaignService(d CampaignDeps) ternv1connect.CampaignServiceHandler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Started == nil {
		d.Started = func() {}
	}
	return &campaignService{d: d}
}

func (s *campaignService) CreateCampaign(ctx context.Context, req *connect.Request[ternv1.CreateCampaignRequest]) (*connect.Response[ternv1.CreateCampaignResponse], error) {
	c, err := campaignFromProto(req.Msg.GetCampaign())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	c.Tenant = tenantFrom(ctx)
	if c, err = s.d.Campaigns.Create(ctx, c); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CreateCampaignResponse{Campaign: campaignProto(c)}), nil
}

func (s *campaignService) EstimateCampaign(ctx context.Context, req *connect.Request[ternv1.EstimateCampaignRequest]) (*connect.Response[ternv1.EstimateCampaignResponse], error) {
	aud, sup, e, err := s.d.Campaigns.EstimateCampaign(ctx, tenantFrom(ctx), req.Msg.GetId())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.EstimateCampaignResponse{Audience: aud, Suppressed: sup, Estimate: estimateProto(e)}), nil
}

// act applies a and answers with the campaign after it.
func (s *campaignService) act(ctx context.Context, id string, a campaign.Action) (*ternv1.Campaign, error) {
	c, err := s.d.Campaigns.Act(ctx, tenantFrom(ctx), id, a)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	if a == campaign.Launch || a == campaign.Resume {
		s.d.Started()
	}
	return campaignProto(c), nil
}

func (s *campaignService) LaunchCampaign(ctx context.Context, req *connect.Request[ternv1.LaunchCampaignRequest]) (*connect.Response[ternv1.LaunchCampaignResponse], error) {
	c, err := s.act(ctx, req.Msg.GetId(), campaign.Launch)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&ternv1.LaunchCampaignResponse{Campaign: c}), nil
}

func (s *campaignService) PauseCampaign(ctx context.Context, req *connect.Request[ternv1.PauseCampaignRequest]) (*connect.Response[ternv1.PauseCampaignResponse], error) {
	c, err := s.act(ctx, req.Msg.GetId(), campaign.Pause)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&ternv1.PauseCampaignResponse{Campaign: c}), nil
}

func (s *campaignService) ResumeCampaign(ctx context.Context, req *connect.Request[ternv1.ResumeCampaignRequest]) (*connect.Response[ternv1.ResumeCampaignResponse], error) {
	c, err := s.act(ctx, req.Msg.GetId(), campaign.Resume)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&ternv1.ResumeCampaignResponse{Campaign: c}), nil
}

func (s *campaignService) CancelCampaign(ctx context.Context, req *connect.Request[ternv1.CancelCampaignRequest]) (*connect.Response[ternv1.CancelCampaignResponse], error) {
	c, err := s.act(ctx, req.Msg.GetId(), campaign.Cancel)
	if err != nil {
		return nil, err
	}
	s.d.Started() // the withdrawal starts
	return connect.NewResponse(&ternv1.CancelCampaignResponse{Campaign: c}), nil
}

func (s *campaignService) GetCampaign(ctx context.Context, req *connect.Request[ternv1.GetCampaignRequest]) (*connect.Response[ternv1.GetCampaignResponse], error) {
	c, err := s.d.Campaigns.Get(ctx, tenantFrom(ctx), req.Msg.GetId())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.GetCampaignResponse{Campaign: s.withStats(ctx, campaignProto(c))}), nil
}

func (s *campaignService) ListCampaigns(ctx context.Context, req *connect.Request[ternv1.ListCampaignsRequest]) (*connect.Response[ternv1.ListCampaignsResponse], error) {
	cs, next, err := s.d.Campaigns.List(ctx, tenantFrom(ctx), int(req.Msg.GetPageSize()), req.Msg.GetPageToken())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.ListCampaignsResponse{NextPageToken: next}
	for _, c := range cs {
		out.Campaigns = append(out.Campaigns, campaignProto(c))
	}
	return connect.NewResponse(out), nil
}

func (s *campaignService) WatchCampaign(ctx context.Context, req *connect.Request[ternv1.WatchCampaignRequest], stream *connect.ServerStream[ternv1.WatchCampaignResponse]) error {
	return s.watch(ctx, req.Msg.GetId(), stream.Send)
}

// watch sends the campaign at once and whenever it or its counts change,
// until ctx ends.
func (s *campaignService) watch(ctx context.Context, id string, send func(*ternv1.WatchCampaignResponse) error) error {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	var last *ternv1.Campaign
	for {
		c, err := s.d.Campaigns.Get(ctx, tenantFrom(ctx), id)
		if err != nil {
			return connectError(s.d.Log, err)
		}
		p := s.withStats(ctx, campaignProto(c))
		if last == nil || !proto.Equal(p, last) {
			if err := send(&ternv1.WatchCampaignResponse{Campaign: p}); err != nil {
				return err
			}
			last = p
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// withStats adds what analytics knows of the campaign's messages; a
// failing report leaves those counts as they are.
func (s *campaignService) withStats(ctx context.Context, p *ternv1.Campaign) *ternv1.Campaign {
	tenant := tenantFrom(ctx)
	if s.d.Stats != nil {
		if st, err := s.d.Stats.CampaignStats(ctx, tenant, p.GetId()); err == nil {
			k := p.Counts
			k.Submitted, k.Delivered = st.Submitted+st.Delivered+st.Undelivered, st.Delivered
			k.Undelivered = st.Undelivered + st.Expired + st.Rejected + st.Failed
		} else {
			s.d.Log.Debug("campaign stats", "campaign", p.GetId(), "err", err)
		}
	}
	if s.d.Clicks != nil {
		if n, err := s.d.Clicks.CampaignClicks(ctx, tenant, p.GetId()); err == nil {
			p.Counts.Clicks = n
		}
	}
	return p
}

func campaignFromProto(p *ternv1.Campaign) (campaigns.Campaign, error) {
	a := p.GetAudience()
	c := campaigns.Campaign{Name: p.GetName(), TemplateID: p.GetTemplateId(), TemplateVersion: int(p.GetTemplateVersion()), From: p.GetFrom(),
		Rate: int(p.GetRate()), Audience: contacts.Audience{ListIDs: a.GetListIds(), SegmentID: a.GetSegmentId(), Filter: a.GetFilter()}}
	if p.GetSendAt() != nil {
		c.SendAt = p.GetSendAt().AsTime()
	}
	if v := p.GetValidity(); v != nil {
		if v.CheckValid() != nil {
			return c, &campaigns.FieldError{Field: "validity", Reason: "not a valid duration"}
		}
		c.Validity = v.AsDuration()
	}
	if q := p.GetQuietHours(); q != "" {
		w, err := quiet.ParseWindow(q)
		if err != nil {
			return c, &campaigns.FieldError{Field: "quiet_hours", Reason: "HH:MM-HH:MM, e.g. 09:00-20:00"}
		}
		c.QuietHours = w
	}
	return c, nil
}

func campaignProto(c campaigns.Campaign) *ternv1.Campaign {
	k := c.Counts
	p := &ternv1.Campaign{Id: c.ID, Name: c.Name, State: ternv1.CampaignState(c.State), TemplateId: c.TemplateID, TemplateVersion: int32(c.TemplateVersion),
		Audience: &ternv1.Audience{ListIds: c.Audience.ListIDs, SegmentId: c.Audience.SegmentID, Filter: c.Audience.Filter},
		From:     c.From, SendAt: timestamp(c.SendAt), Rate: int32(c.Rate),
		Counts: &ternv1.CampaignCounts{Expanded: k.Expanded, Skipped: k.Skipped, Failed: k.Failed, Queued: k.Queued, Segments: k.Segments,
			Withdrawn: k.Withdrawn, NotWithdrawn: k.NotWithdrawn},
		CreatedAt: timestamppb.New(c.Created), LaunchedAt: timestamp(c.Launched), CompletedAt: timestamp(c.Completed), UpdatedAt: timestamppb.New(c.Updated)}
	if k.Currency != "" {
		p.Counts.Cost = &ternv1.Money{Currency: k.Currency, Micros: k.CostMicros}
	}
	if !c.QuietHours.IsZero() {
		p.QuietHours = c.QuietHours.String()
	}
	if c.Validity > 0 {
		p.Validity = durationpb.New(c.Validity)
	}
	return p
}
