-- Every lifecycle transition of every alert (rules and detectors), as the alerts process
-- reads them from each tenant's alert event log. `event_id` is the log entry's id, so a
-- transition written twice (a retry after a crash) collapses in the ReplacingMergeTree;
-- read with FINAL. Labels as two parallel arrays (18.16 has no Map); annotations and
-- facts as JSON text.
CREATE TABLE IF NOT EXISTS {db}.alert_history (
  tenant String,
  event_id String,
  fingerprint String,
  kind String,
  source String,
  source_id String,
  source_version UInt32,
  level String,
  entity String,
  account String,
  campaign String,
  severity String,
  label_names Array(String),
  label_values Array(String),
  annotations String,
  facts String,
  explanation String,
  at DateTime,
  at_ms UInt64,
  starts_at_ms UInt64,
  ends_at_ms UInt64,
  recorded_at DateTime
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(at) ORDER BY (tenant, fingerprint, at_ms, event_id);

-- Every notification's outcome per receiver: delivered, or dead-lettered with the error.
CREATE TABLE IF NOT EXISTS {db}.alert_notifications (
  tenant String,
  notification_id String,
  receiver String,
  receiver_type String,
  group_key String,
  fingerprints Array(String),
  statuses Array(String),
  outcome String,
  attempts UInt32,
  error_code String,
  error String,
  created_at_ms UInt64,
  finished_at_ms UInt64,
  at DateTime
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(at) ORDER BY (tenant, created_at_ms, notification_id, receiver)
