package contacts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/encoding/protojson"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// Segment is a stored, named filter.
type Segment struct {
	ID      int64
	Tenant  string
	Name    string
	Filter  *ternv1.SegmentFilter
	Created time.Time
	Updated time.Time
}

// CreateSegment stores a segment.
func (s *Store) CreateSegment(ctx context.Context, tenant, name string, f *ternv1.SegmentFilter) (Segment, error) {
	name, err := checkName(name)
	if err != nil {
		return Segment{}, err
	}
	if err := CheckFilter(f); err != nil {
		return Segment{}, err
	}
	js, err := protojson.Marshal(f)
	if err != nil {
		return Segment{}, fmt.Errorf("segment filter: %w", err)
	}
	sg := Segment{Tenant: tenant, Name: name, Filter: f}
	err = s.pool.QueryRow(ctx, `INSERT INTO segments (tenant_id, name, filter) VALUES ($1, $2, $3) RETURNING id, created_at, updated_at`,
		tenant, name, js).Scan(&sg.ID, &sg.Created, &sg.Updated)
	if isUnique(err) {
		return sg, fmt.Errorf("segment: %w", ErrExists)
	}
	if err != nil {
		return sg, fmt.Errorf("create segment: %w", err)
	}
	return sg, nil
}

// UpdateSegment replaces a segment's filter, and its name unless empty.
func (s *Store) UpdateSegment(ctx context.Context, tenant string, id int64, name string, f *ternv1.SegmentFilter) (Segment, error) {
	if name != "" {
		var err error
		if name, err = checkName(name); err != nil {
			return Segment{}, err
		}
	}
	if err := CheckFilter(f); err != nil {
		return Segment{}, err
	}
	js, err := protojson.Marshal(f)
	if err != nil {
		return Segment{}, fmt.Errorf("segment filter: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE segments SET name = coalesce(nullif($3, ''), name), filter = $4, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenant, id, name, js)
	if isUnique(err) {
		return Segment{}, fmt.Errorf("segment: %w", ErrExists)
	}
	if err != nil {
		return Segment{}, fmt.Errorf("update segment: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return Segment{}, fmt.Errorf("segment %d: %w", id, ErrNotFound)
	}
	return s.Segment(ctx, tenant, id)
}

func scanSegment(r pgx.Row) (Segment, error) {
	var sg Segment
	var js []byte
	if err := r.Scan(&sg.ID, &sg.Tenant, &sg.Name, &js, &sg.Created, &sg.Updated); err != nil {
		return sg, err
	}
	sg.Filter = &ternv1.SegmentFilter{}
	if err := protojson.Unmarshal(js, sg.Filter); err != nil {
		return sg, fmt.Errorf("segment %d filter: %w", sg.ID, err)
	}
	return sg, nil
}

// Segment returns one of the tenant's segments.
func (s *Store) Segment(ctx context.Context, tenant string, id int64) (Segment, error) {
	sg, err := scanSegment(s.pool.QueryRow(ctx, `SELECT id, tenant_id, name, filter, created_at, updated_at FROM segments
		WHERE tenant_id = $1 AND id = $2`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sg, fmt.Errorf("segment %d: %w", id, ErrNotFound)
	}
	return sg, err
}

// Segments lists the tenant's segments by name.
func (s *Store) Segments(ctx context.Context, tenant string) ([]Segment, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, tenant_id, name, filter, created_at, updated_at FROM segments WHERE tenant_id = $1 ORDER BY name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Segment, error) { return scanSegment(r) })
}

// DeleteSegment deletes a segment.
func (s *Store) DeleteSegment(ctx context.Context, tenant string, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM segments WHERE tenant_id = $1 AND id = $2`, tenant, id)
	if err != nil {
		return fmt.Errorf("delete segment: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("segment %d: %w", id, ErrNotFound)
	}
	return nil
}
