-- Records that failed the event contract, with the reason and the raw bytes (base64).
-- A replay after a crash writes the same (stream, shard, pos) again; ReplacingMergeTree keeps one.
CREATE TABLE IF NOT EXISTS {db}.dead_letters (
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
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(arrived_at) ORDER BY (stream, shard, pos)
