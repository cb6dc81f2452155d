package api

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core/hygiene"
	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

type analyticsService struct {
	d Deps
}

// AnalyticsReports answers the analytics reports; analytics' Store is one.
type AnalyticsReports interface {
	CampaignReport(ctx context.Context, tenantID, campaignID string) (analytics.CampaignReport, error)
	DeliveryReport(ctx context.Context, tenantID string, from, to time.Time, dims []analytics.Dimension) (analytics.DeliveryReport, error)
	ListMessages(ctx context.Context, tenantID string, f analytics.MessageFilter, pageSize int, token string) ([]analytics.ListedMessage, string, error)
	ExportMessages(ctx context.Context, tenantID string, f analytics.MessageFilter, emit func([]byte) error) error
	HygieneReport(ctx context.Context, tenantID string, class hygiene.Class, pageSize int, token string) (analytics.HygieneReport, string, error)
	ExportHygiene(ctx context.Context, tenantID string, class hygiene.Class, emit func([]byte) error) error
}

// HygieneClearer lifts list hygiene's suppressions; pipeline/consent's
// Ledger is one.
type HygieneClearer interface {
	ClearHygiene(ctx context.Context, tenant, number, by string) (bool, error)
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
	if errors.Is(err, analytics.ErrReadLimited) || errors.Is(err, analytics.ErrInvalidRequest) {
		return connectError(log, err)
	}
	log.Warn(what, "err", err)
	return connectError(log, errReportsUnavailable)
}

func (s *analyticsService) GetCampaignReport(ctx context.Context, req *connect.Request[ternv1.GetCampaignReportRequest]) (*connect.Response[ternv1.GetCampaignReportResponse], error) {
	campaign := req.Msg.GetCampaignId()
	switch {
	case s.d.Analytics == nil:
		return nil, connectError(s.d.Log, errNoAnalytics)
	case campaign == "":
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "campaign_id", Reason: "required"})
	case len(campaign) > pipeline.MaxCampaignIDLen:
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "campaign_id", Reason: "longer than 128 bytes"})
	}
	r, err := s.d.Analytics.CampaignReport(ctx, tenantFrom(ctx), campaign)
	if err != nil {
		return nil, reportError(s.d.Log, "campaign report", err)
	}
	return connect.NewResponse(campaignReportProto(r)), nil
}

func (s *analyticsService) GetDeliveryReport(ctx context.Context, req *connect.Request[ternv1.GetDeliveryReportRequest]) (*connect.Response[ternv1.GetDeliveryReportResponse], error) {
	m := req.Msg
	if s.d.Analytics == nil {
		return nil, connectError(s.d.Log, errNoAnalytics)
	}
	if m.GetFrom() == nil {
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "from", Reason: "required"})
	}
	dims := make([]analytics.Dimension, len(m.GetGroupBy()))
	for i, d := range m.GetGroupBy() {
		dims[i] = analytics.Dimension(min(max(d, 0), 255))
	}
	r, err := s.d.Analytics.DeliveryReport(ctx, tenantFrom(ctx), m.GetFrom().AsTime(), timeOrZero(m.GetTo()), dims)
	if err != nil {
		return nil, reportError(s.d.Log, "delivery report", err)
	}
	return connect.NewResponse(deliveryReportProto(r)), nil
}

func (s *analyticsService) ListMessages(ctx context.Context, req *connect.Request[ternv1.ListMessagesRequest]) (*connect.Response[ternv1.ListMessagesResponse], error) {
	if s.d.Analytics == nil {
		return nil, connectError(s.d.Log, errNoAnalytics)
	}
	m := req.Msg
	page, next, err := s.d.Analytics.ListMessages(ctx, tenantFrom(ctx), filterFrom(m.GetFilter()), int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, reportError(s.d.Log, "list messages", err)
	}
	out := &ternv1.ListMessagesResponse{NextPageToken: next}
	for _, lm := range page {
		out.Messages = append(out.Messages, listedProto(lm))
	}
	return connect.NewResponse(out), nil
}

func (s *analyticsService) ExportMessages(ctx context.Context, req *connect.Request[ternv1.ExportMessagesRequest], stream *connect.ServerStream[ternv1.ExportMessagesResponse]) error {
	return s.exportMessages(ctx, req.Msg, stream.Send)
}

func (s *analyticsService) exportMessages(ctx context.Context, m *ternv1.ExportMessagesRequest, send func(*ternv1.ExportMessagesResponse) error) error {
	if s.d.Analytics == nil {
		return connectError(s.d.Log, errNoAnalytics)
	}
	err := s.d.Analytics.ExportMessages(ctx, tenantFrom(ctx), filterFrom(m.GetFilter()), func(b []byte) error {
		return send(&ternv1.ExportMessagesResponse{Csv: b})
	})
	if err != nil {
		return reportError(s.d.Log, "export messages", err)
	}
	return nil
}

func (s *analyticsService) GetListHygieneReport(ctx context.Context, req *connect.Request[ternv1.GetListHygieneReportRequest]) (*connect.Response[ternv1.GetListHygieneReportResponse], error) {
	if s.d.Analytics == nil {
		return nil, connectError(s.d.Log, errNoAnalytics)
	}
	m := req.Msg
	class, err := hygieneClass(m.GetClass())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	r, next, err := s.d.Analytics.HygieneReport(ctx, tenantFrom(ctx), class, int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, reportError(s.d.Log, "hygiene report", err)
	}
	return connect.NewResponse(hygieneReportProto(r, next)), nil
}

func (s *analyticsService) ExportHygieneNumbers(ctx context.Context, req *connect.Request[ternv1.ExportHygieneNumbersRequest], stream *connect.ServerStream[ternv1.ExportHygieneNumbersResponse]) error {
	return s.exportHygiene(ctx, req.Msg, stream.Send)
}

func (s *analyticsService) exportHygiene(ctx context.Context, m *ternv1.ExportHygieneNumbersRequest, send func(*ternv1.ExportHygieneNumbersResponse) error) error {
	if s.d.Analytics == nil {
		return connectError(s.d.Log, errNoAnalytics)
	}
	class, err := hygieneClass(m.GetClass())
	if err != nil {
		return connectError(s.d.Log, err)
	}
	err = s.d.Analytics.ExportHygiene(ctx, tenantFrom(ctx), class, func(b []byte) error {
		return send(&ternv1.ExportHygieneNumbersResponse{Csv: b})
	})
	if err != nil {
		return reportError(s.d.Log, "export hygiene", err)
	}
	return nil
}

func (s *analyticsService) RemoveSuppression(ctx context.Context, req *connect.Request[ternv1.RemoveSuppressionRequest]) (*connect.Response[ternv1.RemoveSuppressionResponse], error) {
	if s.d.Hygiene == nil {
		return nil, connectError(s.d.Log, errNoAnalytics)
	}
	by := "api"
	if id := callerFrom(ctx).KeyID; id != "" {
		by = "api key " + id
	}
	removed, err := s.d.Hygiene.ClearHygiene(ctx, tenantFrom(ctx), req.Msg.GetNumber(), by)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.RemoveSuppressionResponse{Removed: removed}), nil
}
