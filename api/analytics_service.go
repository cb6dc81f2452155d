package api

import (
	"context"
	"errors"
	"log/slog"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/analytics"

	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

type analyticsService struct {
	d Deps
}

func (s *analyticsService) GetCampaignStats(ctx context.Context, req *connect.Request[ternv1.GetCampaignStatsRequest]) (*connect.Response[ternv1.GetCampaignStatsResponse], error) {
	campaign := req.Msg.GetCampaignId()
	if len(campaign) > pipeline.MaxCampaignIDLen {
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "campaign_id", Reason: "longer than 128 bytes"})
	}
	st, err := s.d.Reports.CampaignStats(ctx, tenantFrom(ctx), campaign)
	if err != nil {
		return nil, reportError(s.d.Log, "campaign stats", err)
	}
	return connect.NewResponse(&ternv1.GetCampaignStatsResponse{
		CampaignId:  campaign,
		Accepted:    int64(st.Accepted),
		Queued:      int64(st.Queued),
		Submitted:   int64(st.Submitted),
		Delivered:   int64(st.Delivered),
		Undelivered: int64(st.Undelivered),
		Expired:     int64(st.Expired),
		Rejected:    int64(st.Rejected),
		Failed:      int64(st.Failed),
		Unknown:     int64(st.Unknown),
		Canceled:    int64(st.Canceled),
		Segments:    int64(st.Segments),
	}), nil
}

// reportError answers a report query that failed: a tenant over its share
// of report queries gets ResourceExhausted (analytics.Config.TenantReads,
// TenantReadRate), anything else is logged as what and answered
// Unavailable.
func reportError(log *slog.Logger, what string, err error) *connect.Error {
	if errors.Is(err, analytics.ErrReadLimited) {
		return connectError(log, err)
	}
	log.Warn(what, "err", err)
	return connectError(log, errReportsUnavailable)
}
