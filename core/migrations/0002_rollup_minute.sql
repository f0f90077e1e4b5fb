-- Per-minute rollups at the finest entity grain, kept by a materialized view. Rows of the
-- same key are summed on merge, so readers always aggregate with sum() ... GROUP BY.
CREATE TABLE IF NOT EXISTS {db}.rollup_minute (
  tenant String,
  platform String,
  account String,
  campaign String,
  adset String,
  ad String,
  minute DateTime,
  impressions UInt64,
  clicks UInt64,
  spend_micros UInt64,
  conversions UInt64,
  revenue_micros UInt64,
  events UInt64
) ENGINE = SummingMergeTree() PARTITION BY toYYYYMMDD(minute) ORDER BY (tenant, campaign, minute, adset, ad, account, platform);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_minute_mv TO {db}.rollup_minute AS
SELECT tenant, platform, account, campaign, adset, ad, toStartOfMinute(ts) AS minute,
  sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend_micros) AS spend_micros,
  sum(conversions) AS conversions, sum(revenue_micros) AS revenue_micros, count() AS events
FROM {db}.events
GROUP BY tenant, platform, account, campaign, adset, ad, minute
