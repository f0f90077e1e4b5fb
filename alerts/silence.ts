import { SilenceInvalidError } from './errors.ts'
import { matcherProblem, matchesAll, matcherHolds, type LabelMatcher } from './matchers.ts'

/** A silence: alerts whose labels match every matcher get no notifications while it is active. */
export interface Silence {
  readonly id: string
  readonly matchers: readonly LabelMatcher[]
  readonly startsAtMs: number
  readonly endsAtMs: number
  readonly author: string
  readonly comment: string
  readonly createdAtMs: number
  readonly updatedAtMs: number
}

/** What a caller gives to create a silence; `startsAtMs` defaults to now. */
export interface SilenceInput {
  readonly matchers: readonly LabelMatcher[]
  readonly startsAtMs?: number
  readonly endsAtMs: number
  readonly author: string
  readonly comment?: string
}

/** A silence before its start, in force, or past its end (expired ones stop by themselves). */
export type SilenceState = 'pending' | 'active' | 'expired'

/** Longest a silence may last (a forgotten silence should not mute a tenant for years). */
export const MAX_SILENCE_MS = 365 * 86_400_000

/** The state of a silence at `nowMs`: active on [startsAt, endsAt). */
export function silenceState(s: Silence, nowMs: number): SilenceState {
  if (nowMs < s.startsAtMs) return 'pending'
  return nowMs < s.endsAtMs ? 'active' : 'expired'
}

/** The first silence active at `nowMs` that matches the labels, if any. */
export function activeSilenceFor(labels: Readonly<Record<string, string>>, silences: readonly Silence[], nowMs: number): Silence | undefined {
  for (const s of silences) if (silenceState(s, nowMs) === 'active' && matchesAll(s.matchers, labels)) return s
  return undefined
}

/**
 * Checks a silence request: at least one matcher, valid matchers and regexes, one matcher
 * that does not match the empty string (so a silence cannot mute every alert by accident),
 * an author, an end after the start and after now, at most a year long.
 */
export function validateSilenceInput(input: SilenceInput, nowMs: number): void {
  if (!Array.isArray(input.matchers) || input.matchers.length === 0) throw new SilenceInvalidError('matchers', 'at least one matcher is needed')
  if (input.matchers.length > 20) throw new SilenceInvalidError('matchers', 'at most 20 matchers')
  input.matchers.forEach((m, i) => {
    const why = matcherProblem(m)
    if (why !== undefined) throw new SilenceInvalidError(`matchers[${i}]`, why)
  })
  if (input.matchers.every((m) => matcherHolds(m, {}))) throw new SilenceInvalidError('matchers', 'every matcher matches an empty label; add one that names a label value (e.g. alertname="high-cpc")')
  if (typeof input.author !== 'string' || input.author.trim() === '') throw new SilenceInvalidError('author', 'who creates the silence is required')
  const start = input.startsAtMs ?? nowMs
  if (!Number.isFinite(start) || !Number.isFinite(input.endsAtMs)) throw new SilenceInvalidError('endsAtMs', 'start and end must be epoch milliseconds')
  if (input.endsAtMs <= start) throw new SilenceInvalidError('endsAtMs', 'must be after the start')
  if (input.endsAtMs <= nowMs) throw new SilenceInvalidError('endsAtMs', 'must be in the future')
  if (input.endsAtMs - start > MAX_SILENCE_MS) throw new SilenceInvalidError('endsAtMs', 'a silence lasts at most 365 days')
  if ((input.comment ?? '').length > 2000) throw new SilenceInvalidError('comment', 'at most 2000 characters')
}
