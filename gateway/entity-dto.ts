import type { AccountSettings, CampaignSettings } from '../stream/entity-settings.ts'
import type { AccountDto, AccountSettingsDto, CampaignDto, CampaignSettingsDto, PacingDto } from './api-types.ts'
import type { EntityView } from './deps.ts'
import { toWindowsDto } from './derived-metrics.ts'
import { computePacing } from './pacing.ts'

/** Pacing of an entity with a daily budget, or null without one. Pure. */
export function pacingOf(view: EntityView, dailyBudgetMicros: number | undefined, nowMs: number): PacingDto | null {
  if (dailyBudgetMicros === undefined) return null
  return computePacing({ dailyBudgetMicros, spendTodayMicros: view.windows.today[2], spend15mMicros: view.windows['15m'][2], nowMs, day: view.day })
}

/** A campaign row from its live view and settings. Pure. */
export function toCampaignDto(view: EntityView, settings: CampaignSettings | undefined, nowMs: number): CampaignDto {
  return {
    id: view.id,
    account: view.account ?? null,
    name: settings?.name ?? null,
    dailyBudgetMicros: settings?.dailyBudgetMicros ?? null,
    timeZone: view.timeZone,
    today: view.day.date,
    windows: toWindowsDto(view.windows),
    pacing: pacingOf(view, settings?.dailyBudgetMicros, nowMs),
  }
}

/** An account row from its live view and settings. Pure. */
export function toAccountDto(view: EntityView, settings: AccountSettings | undefined): AccountDto {
  return { id: view.id, name: settings?.name ?? null, timeZone: view.timeZone, today: view.day.date, windows: toWindowsDto(view.windows) }
}

export function toCampaignSettingsDto(s: CampaignSettings | undefined): CampaignSettingsDto {
  return { name: s?.name ?? null, dailyBudgetMicros: s?.dailyBudgetMicros ?? null }
}

export function toAccountSettingsDto(s: AccountSettings, defaultTimeZone: string): AccountSettingsDto {
  return { name: s.name ?? null, timeZone: s.timeZone ?? null, effectiveTimeZone: s.timeZone ?? defaultTimeZone }
}

/** Sort keys of the lists. */
export const SORT_KEYS = ['spendToday', 'spend1h', 'spend15m', 'clicksToday', 'pacing', 'name', 'id'] as const
export type SortKey = (typeof SORT_KEYS)[number]

/** Sorts rows in place by a key; nulls last in either order, then by id for a stable page. */
export function sortRows<T extends CampaignDto | AccountDto>(rows: T[], key: SortKey, order: 'asc' | 'desc'): T[] {
  const valueOf = (r: T): number | string | null => {
    switch (key) {
      case 'spendToday':
        return r.windows.today.spendMicros
      case 'spend1h':
        return r.windows['1h'].spendMicros
      case 'spend15m':
        return r.windows['15m'].spendMicros
      case 'clicksToday':
        return r.windows.today.clicks
      case 'pacing':
        return 'pacing' in r ? (r.pacing?.pacing ?? null) : null
      case 'name':
        return r.name
      case 'id':
        return r.id
    }
  }
  const sign = order === 'asc' ? 1 : -1
  return rows.sort((a, b) => {
    const va = valueOf(a)
    const vb = valueOf(b)
    if (va === null || vb === null) return va === vb ? a.id.localeCompare(b.id) : va === null ? 1 : -1
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb))
    return c !== 0 ? sign * c : a.id.localeCompare(b.id)
  })
}
