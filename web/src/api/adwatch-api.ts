import type { AccountDto, AlertTransitionDto, CampaignDto, CursorPageDto, Level, PageDto, TimeSeriesDto } from '../../../gateway/api-types.ts'
import type { ApiClient } from './api-client.ts'
import type {
  AlertDto, BacktestRequest, BacktestResultDto, DetectorDto, DetectorScoreDto, ScoreSeriesDto, SilenceDto, SilenceInput, StoredRuleDto, ValidationDto,
} from './proposed-types.ts'

/** Who the credentials are (`GET /me`). */
export interface MeDto {
  readonly tenant: string
  readonly role: 'viewer' | 'editor' | 'admin'
  readonly subject: string
  readonly kind: string
}

/** The account list's page size (the gateway's maximum). */
const PAGE = 1000
/**
 * The campaign list's page size: each page is parsed in its own task, and a page of 250
 * campaigns with five windows each (~300 kB of JSON) parses in a few milliseconds, where a
 * page of 1,000 held the main thread long enough to be felt.
 */
const CAMPAIGN_PAGE = 250

/**
 * Every REST call the dashboard makes, in one place, typed against gateway/api-types.ts.
 */
export class AdwatchApi {
  constructor(readonly http: ApiClient) {}

  me(): Promise<MeDto> {
    return this.http.get('/me')
  }

  /** Every account (pages of 1,000). */
  async accounts(signal?: AbortSignal): Promise<AccountDto[]> {
    return this.allPages<AccountDto>('/accounts', signal)
  }

  /**
   * Every campaign with live windows and pacing, in pages of 250 handed to `onPage` as they
   * arrive; resolves with the ids listed. The pages are not kept here: a 5,000-campaign
   * listing held until its last page was a few MiB of heap at every refresh.
   */
  async campaignPages(onPage: (page: readonly CampaignDto[]) => void, signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = []
    await this.eachPage<CampaignDto>('/campaigns', CAMPAIGN_PAGE, (page) => {
      for (const c of page) ids.push(c.id)
      onPage(page)
    }, signal)
    return ids
  }

  /** Per-bucket sums of an entity over [fromMs, toMs). */
  timeSeries(level: Level, id: string, fromMs: number, toMs: number, stepSec: number, signal?: AbortSignal): Promise<TimeSeriesDto> {
    return this.http.get(`/timeseries/${level}/${encodeURIComponent(id)}`, { from: Math.floor(fromMs), to: Math.ceil(toMs), step: stepSec }, signal)
  }

  alerts(query: { state?: 'open' | 'resolved' | 'all'; level?: Level; entity?: string; limit?: number; offset?: number } = {}): Promise<PageDto<AlertDto>> {
    return this.http.get('/alerts', query)
  }

  /** Alert transitions in a time range, newest first (`GET /alerts/history`: ClickHouse plus the event log's last minutes). */
  alertHistory(query: { fromMs?: number; toMs?: number; fingerprint?: string; limit?: number; offset?: number } = {}): Promise<CursorPageDto<AlertTransitionDto>> {
    const { fromMs, toMs, ...rest } = query
    return this.http.get('/alerts/history', { ...rest, ...(fromMs === undefined ? {} : { from: Math.floor(fromMs) }), ...(toMs === undefined ? {} : { to: Math.ceil(toMs) }) })
  }

  acknowledge(fingerprint: string, comment: string): Promise<AlertDto> {
    return this.http.post(`/alerts/${encodeURIComponent(fingerprint)}/ack`, { comment })
  }

  silences(): Promise<PageDto<SilenceDto>> {
    return this.http.get('/silences')
  }

  createSilence(input: SilenceInput): Promise<SilenceDto> {
    return this.http.post('/silences', input)
  }

  rules(): Promise<PageDto<StoredRuleDto>> {
    return this.http.get('/rules')
  }

  ruleVersions(id: string): Promise<PageDto<StoredRuleDto>> {
    return this.http.get(`/rules/${encodeURIComponent(id)}/versions`)
  }

  /** Saves a rule as its next version (creates it at version 1). */
  saveRule(id: string, rule: unknown): Promise<StoredRuleDto> {
    return this.http.put(`/rules/${encodeURIComponent(id)}`, rule)
  }

  validateRule(rule: unknown): Promise<ValidationDto> {
    return this.http.post('/rules/validate', rule)
  }

  restoreRule(id: string, version: number): Promise<StoredRuleDto> {
    return this.http.post(`/rules/${encodeURIComponent(id)}/versions/${version}/restore`)
  }

  backtest(request: BacktestRequest, signal?: AbortSignal): Promise<BacktestResultDto> {
    return this.http.post('/rules/backtest', request, signal)
  }

  detectors(): Promise<PageDto<DetectorDto>> {
    return this.http.get('/detectors')
  }

  detectorScores(level: Level, limit = 200): Promise<PageDto<DetectorScoreDto>> {
    return this.http.get('/detectors/scores', { level, limit })
  }

  /** Score history of one entity (highest detector score per judged minute) for the charts' score band. */
  scoreSeries(level: Level, id: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<ScoreSeriesDto> {
    return this.http.get(`/detectors/scores/${level}/${encodeURIComponent(id)}`, { from: Math.floor(fromMs), to: Math.ceil(toMs) }, signal)
  }

  retrain(name: string): Promise<DetectorDto> {
    return this.http.post(`/detectors/${encodeURIComponent(name)}/retrain`)
  }

  private async allPages<T>(path: string, signal?: AbortSignal, size = PAGE): Promise<T[]> {
    const out: T[] = []
    await this.eachPage<T>(path, size, (page) => {
      for (const item of page) out.push(item)
    }, signal)
    return out
  }

  /** Hands every page of a listing (sorted by id) to `onPage` as it arrives. */
  private async eachPage<T>(path: string, size: number, onPage: (page: readonly T[]) => void, signal?: AbortSignal): Promise<void> {
    for (let offset = 0, seen = 0; ; offset += size) {
      const page = await this.http.get<PageDto<T>>(path, { limit: size, offset, sort: 'id', order: 'asc' }, signal)
      seen += page.items.length
      onPage(page.items)
      if (page.items.length < size || seen >= page.total) return
    }
  }
}
