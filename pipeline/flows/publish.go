package flows

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// publishEnded puts a FlowRunEnded record on the runs topic for every
// ended run not yet published, and marks them. A run published twice
// (a crash between produce and mark) is one record more; readers dedupe
// on run_id.
func (e *Engine) publishEnded(ctx context.Context) error {
	var ids []int64
	var recs []*kgo.Record
	rows, err := e.pool.Query(ctx, `SELECT id, tenant_id, flow_id, state, exit_reason, phone, trigger_event_id, sent, started_at, updated_at
		FROM flow_runs WHERE state <> 1 AND NOT published ORDER BY updated_at LIMIT 500`)
	if err != nil {
		return fmt.Errorf("ended flow runs: %w", err)
	}
	for rows.Next() {
		var id int64
		var state int16
		var sent int32
		var started, ended time.Time
		rec := &recordv1.FlowRunEnded{}
		if err := rows.Scan(&id, &rec.TenantId, &rec.FlowId, &state, &rec.Reason, &rec.CustomerPhone, &rec.TriggerEventId, &sent, &started, &ended); err != nil {
			rows.Close()
			return err
		}
		rec.RunId, rec.State, rec.MessagesSent = fmt.Sprint(id), StateName(state), sent
		rec.StartedAt, rec.EndedAt = timestamppb.New(started), timestamppb.New(ended)
		v, err := proto.Marshal(rec)
		if err != nil {
			rows.Close()
			return err
		}
		ids, recs = append(ids, id), append(recs, &kgo.Record{Key: []byte(rec.TenantId), Value: v})
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(recs) == 0 {
		return err
	}
	if err := e.pub.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce flow run ends: %w", err)
	}
	_, err = e.pool.Exec(ctx, `UPDATE flow_runs SET published = true WHERE id = ANY($1)`, ids)
	return err
}
