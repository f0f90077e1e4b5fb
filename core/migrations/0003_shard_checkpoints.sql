-- The ClickHouse sink's per-shard checkpoint: the highest `pos` of any inserted event,
-- maintained from the same insert block as the events (so it can never run ahead of them).
CREATE TABLE IF NOT EXISTS {db}.shard_checkpoints (
  stream String,
  shard String,
  pos AggregateFunction(max, String)
) ENGINE = AggregatingMergeTree() ORDER BY (stream, shard);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.shard_checkpoints_mv TO {db}.shard_checkpoints AS
SELECT stream, shard, maxState(pos) AS pos
FROM {db}.events
GROUP BY stream, shard
