import type { AccountDto, CampaignDto, Level, PageDto, TimeSeriesDto } from '../../../gateway/api-types.ts'
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

/** The campaign list's page size (the gateway's maximum). */
const PAGE = 1000

/**
 * Every REST call the dashboard makes, in one place, typed against gateway/api-types.ts (and
 * proposed-types.ts for routes still being built).
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

  /** Every campaign with live windows and pacing (pages of 1,000). */
  async campaigns(signal?: AbortSignal): Promise<CampaignDto[]> {
    return this.allPages<CampaignDto>('/campaigns', signal)
  }

  /** Per-bucket sums of an entity over [fromMs, toMs). */
  timeSeries(level: Level, id: string, fromMs: number, toMs: number, stepSec: number, signal?: AbortSignal): Promise<TimeSeriesDto> {
    return this.http.get(`/timeseries/${level}/${encodeURIComponent(id)}`, { from: Math.floor(fromMs), to: Math.ceil(toMs), step: stepSec }, signal)
  }

  alerts(query: { state?: 'open' | 'resolved' | 'all'; level?: Level; entity?: string; limit?: number; offset?: number } = {}): Promise<PageDto<AlertDto>> {
    return this.http.get('/alerts', query)
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

  scoreSeries(level: Level, id: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<ScoreSeriesDto> {
    return this.http.get(`/detectors/scores/${level}/${encodeURIComponent(id)}`, { from: fromMs, to: toMs }, signal)
  }

  retrain(name: string): Promise<DetectorDto> {
    return this.http.post(`/detectors/${encodeURIComponent(name)}/retrain`)
  }

  private async allPages<T>(path: string, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = []
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.http.get<PageDto<T>>(path, { limit: PAGE, offset, sort: 'id', order: 'asc' }, signal)
      out.push(...page.items)
      if (page.items.length < PAGE || out.length >= page.total) return out
    }
  }
}
