-- Detector models (detectors/), versioned: one row per entity baseline and per isolation
-- forest ('' entity for the level's forest), written before the version's manifest row in
-- detector_model_versions; readers load the newest manifest per (tenant, level), so a version
-- whose rows were only partly written is never loaded. Old versions go by dropping partitions.
CREATE TABLE IF NOT EXISTS {db}.detector_models (
  tenant String,
  level String,
  version UInt64,
  kind String,
  entity String,
  trained_at DateTime,
  payload String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(trained_at) ORDER BY (tenant, level, version, kind, entity);

CREATE TABLE IF NOT EXISTS {db}.detector_model_versions (
  tenant String,
  level String,
  version UInt64,
  trained_at DateTime,
  from_ms UInt64,
  to_ms UInt64,
  entities UInt32,
  campaign_forests UInt32,
  level_forest UInt8,
  train_ms UInt32
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(trained_at) ORDER BY (tenant, level, version)
