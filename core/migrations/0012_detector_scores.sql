-- Detector score history (detectors/): one row per judged minute of an entity, written by the
-- detector runner after each tick; the dashboard draws `max_score` as a band on the entity's
-- charts (GET /api/v1/detectors/scores/:level/:id). A minute judged twice (a runner restart)
-- collapses in the ReplacingMergeTree. Old days go by dropping partitions (18.16 has no TTL).
CREATE TABLE IF NOT EXISTS {db}.detector_scores (
  tenant String,
  level String,
  entity String,
  minute_ms UInt64,
  detectors Array(String),
  scores Array(Float32),
  max_score Float32,
  day Date
) ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY (tenant, level, entity, minute_ms)
