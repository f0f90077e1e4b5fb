-- Dead letters per tenant, for the gateway's dead-letter API. The tenant is the first part of
-- the partition key (`tenant/campaign`, as adwatch's producers and HTTP ingest write it);
-- ClickHouse 18.16 cannot decode the raw bytes (no base64Decode). Read with FINAL.
CREATE TABLE IF NOT EXISTS {db}.dead_letters_by_tenant (
  tenant String,
  stream String,
  shard String,
  pos String,
  seq String,
  sub_seq UInt32,
  partition_key String,
  code String,
  reason String,
  raw_base64 String,
  arrived_at DateTime,
  received_at DateTime
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(arrived_at) ORDER BY (tenant, stream, shard, pos);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.dead_letters_by_tenant_mv TO {db}.dead_letters_by_tenant AS
SELECT splitByChar('/', partition_key)[1] AS tenant, stream, shard, pos, seq, sub_seq, partition_key, code, reason, raw_base64, arrived_at, received_at
FROM {db}.dead_letters;

-- Rows stored before the view existed. Running this twice (two workers starting at once) only
-- adds copies that the ReplacingMergeTree collapses.
INSERT INTO {db}.dead_letters_by_tenant
SELECT splitByChar('/', partition_key)[1] AS tenant, stream, shard, pos, seq, sub_seq, partition_key, code, reason, raw_base64, arrived_at, received_at
FROM {db}.dead_letters;

-- Dead letters replayed through the gateway (re-put to Kinesis after a fix), with who and when.
CREATE TABLE IF NOT EXISTS {db}.dead_letter_replays (
  tenant String,
  stream String,
  shard String,
  pos String,
  replayed_at DateTime,
  replayed_by String
) ENGINE = ReplacingMergeTree() ORDER BY (tenant, stream, shard, pos)
