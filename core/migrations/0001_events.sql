-- Raw events, one row per valid unique event. `stream`, `shard` and `pos` make the
-- ClickHouse sink's checkpoint part of the inserted block itself (see docs/exactly-once.md).
CREATE TABLE IF NOT EXISTS {db}.events (
  tenant String,
  platform String,
  account String,
  campaign String,
  adset String,
  ad String,
  id String,
  type String,
  ts DateTime,
  ts_ms UInt64,
  impressions UInt64,
  clicks UInt64,
  spend_micros UInt64,
  conversions UInt64,
  revenue_micros UInt64,
  currency String,
  stream String,
  shard String,
  pos String,
  ingested_at DateTime
) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(ts) ORDER BY (tenant, campaign, ts)
