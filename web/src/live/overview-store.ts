import type { AccountDto, CampaignDto, PacingDto, WindowMetrics } from '../../../gateway/api-types.ts'
import type { WindowUpdate } from '../../../gateway/socket-events.ts'

/** One campaign row of the overview: today's figures, pacing, and when it last changed. */
export interface CampaignRow {
  readonly id: string
  readonly account: string
  readonly name: string | null
  readonly today: WindowMetrics
  readonly pacing: PacingDto | null
  readonly updatedAtMs: number
}

/** One account row: its own totals (from its account-level windows) and its campaigns. */
export interface AccountRow {
  readonly id: string
  readonly name: string | null
  readonly today: WindowMetrics
  readonly updatedAtMs: number
}

/** Campaigns without a known account are grouped under this id. */
export const NO_ACCOUNT = '(no account)'

type Listener = () => void

/**
 * The live state of the accounts ▸ campaigns table: filled from the REST lists, then kept
 * current by window updates (a batch per animation frame). Rows are immutable objects
 * replaced on change, so a memoised row re-renders only when its own data changed; `version`
 * is bumped once per applied batch and listeners are told once (useSyncExternalStore).
 */
export class OverviewStore {
  private readonly campaignRows = new Map<string, CampaignRow>()
  private readonly accountRows = new Map<string, AccountRow>()
  private readonly listeners = new Set<Listener>()
  version = 0
  /** Window updates applied since the page loaded (the status bar shows it). */
  updatesApplied = 0

  get campaignCount(): number {
    return this.campaignRows.size
  }

  campaign(id: string): CampaignRow | undefined {
    return this.campaignRows.get(id)
  }

  account(id: string): AccountRow | undefined {
    return this.accountRows.get(id)
  }

  campaigns(): IterableIterator<CampaignRow> {
    return this.campaignRows.values()
  }

  accounts(): IterableIterator<AccountRow> {
    return this.accountRows.values()
  }

  /** Replaces rows with a REST listing (newer live data of a row is kept). */
  load(campaigns: readonly CampaignDto[], accounts: readonly AccountDto[], atMs: number): void {
    for (const c of campaigns) {
      const cur = this.campaignRows.get(c.id)
      if (cur !== undefined && cur.updatedAtMs > atMs) continue
      this.campaignRows.set(c.id, { id: c.id, account: c.account ?? NO_ACCOUNT, name: c.name, today: c.windows.today, pacing: c.pacing, updatedAtMs: atMs })
    }
    for (const a of accounts) {
      const cur = this.accountRows.get(a.id)
      if (cur !== undefined && cur.updatedAtMs > atMs) continue
      this.accountRows.set(a.id, { id: a.id, name: a.name, today: a.windows.today, updatedAtMs: atMs })
    }
    this.changed()
  }

  /** Applies a frame's window updates (campaign and account levels; others are ignored). */
  applyUpdates(batch: readonly WindowUpdate[]): void {
    let n = 0
    for (const u of batch) {
      if (u.level === 'campaign') {
        const cur = this.campaignRows.get(u.id)
        if (cur !== undefined && cur.updatedAtMs > u.atMs) continue
        this.campaignRows.set(u.id, {
          id: u.id,
          account: cur?.account ?? NO_ACCOUNT,
          name: cur?.name ?? null,
          today: u.windows.today,
          pacing: u.pacing,
          updatedAtMs: u.atMs,
        })
        n++
      } else if (u.level === 'account') {
        const cur = this.accountRows.get(u.id)
        if (cur !== undefined && cur.updatedAtMs > u.atMs) continue
        this.accountRows.set(u.id, { id: u.id, name: cur?.name ?? null, today: u.windows.today, updatedAtMs: u.atMs })
        n++
      }
    }
    if (n === 0) return
    this.updatesApplied += n
    this.changed()
  }

  /** A campaign's or account's name change (the socket's settings events). */
  rename(kind: 'campaign' | 'account', id: string, name: string | null): void {
    if (kind === 'campaign') {
      const cur = this.campaignRows.get(id)
      if (cur !== undefined) this.campaignRows.set(id, { ...cur, name })
    } else {
      const cur = this.accountRows.get(id)
      if (cur !== undefined) this.accountRows.set(id, { ...cur, name })
    }
    this.changed()
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getVersion = (): number => this.version

  private changed(): void {
    this.version++
    for (const l of this.listeners) l()
  }
}
