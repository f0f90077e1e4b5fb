/** The no-data policy of a rule (see rules/rule-model.ts). */
export type NoDataPolicy = 'ok' | 'alert' | 'keep_last'

/** What one evaluation saw for one alert identity. */
export type Observation = 'true' | 'false' | 'no-data'

/** The timing of a rule that the state machine applies. */
export interface AlertTiming {
  readonly forMs: number
  readonly keepFiringForMs: number
  readonly noData: NoDataPolicy
}

/** The stored state of one alert identity (fingerprint); `inactive` states are not stored. */
export interface AlertState {
  readonly phase: 'inactive' | 'pending' | 'firing'
  /** When the condition became true (start of pending). */
  readonly activeSinceMs: number | undefined
  /** When the alert started firing. */
  readonly firingSinceMs: number | undefined
  /** Last time the condition was observed true. */
  readonly lastTrueMs: number | undefined
  /** The last observation that was not "no data" (for the keep_last policy). */
  readonly lastObservation: 'true' | 'false' | undefined
}

/** A change worth telling the alert pipeline about. */
export type Transition =
  | { readonly kind: 'pending' }
  | { readonly kind: 'firing'; readonly startsAtMs: number }
  | { readonly kind: 'resolved'; readonly startsAtMs: number; readonly endsAtMs: number }
  | { readonly kind: 'cancelled' }

/** The state an identity starts in. */
export const INACTIVE: AlertState = { phase: 'inactive', activeSinceMs: undefined, firingSinceMs: undefined, lastTrueMs: undefined, lastObservation: undefined }

/**
 * One step of the alert lifecycle: inactive ▸ pending (condition true, `for` not yet elapsed)
 * ▸ firing ▸ resolved (back to inactive), with keep-firing-for and the no-data policy. Pure.
 */
export function stepAlert(state: AlertState, observation: Observation, timing: AlertTiming, nowMs: number): { state: AlertState; transition?: Transition } {
  const seen = resolveObservation(state, observation, timing.noData)
  const lastObservation = observation === 'no-data' ? state.lastObservation : seen
  if (seen === 'true') {
    const activeSinceMs = state.phase === 'inactive' ? nowMs : (state.activeSinceMs ?? nowMs)
    if (state.phase === 'firing') return { state: { ...state, lastTrueMs: nowMs, lastObservation } }
    if (nowMs - activeSinceMs >= timing.forMs) {
      return {
        state: { phase: 'firing', activeSinceMs, firingSinceMs: nowMs, lastTrueMs: nowMs, lastObservation },
        transition: { kind: 'firing', startsAtMs: nowMs },
      }
    }
    const next: AlertState = { phase: 'pending', activeSinceMs, firingSinceMs: undefined, lastTrueMs: nowMs, lastObservation }
    return state.phase === 'inactive' ? { state: next, transition: { kind: 'pending' } } : { state: next }
  }
  if (state.phase === 'pending') return { state: { ...INACTIVE, lastObservation }, transition: { kind: 'cancelled' } }
  if (state.phase === 'firing') {
    if (nowMs - (state.lastTrueMs ?? nowMs) < timing.keepFiringForMs) return { state: { ...state, lastObservation } }
    return { state: { ...INACTIVE, lastObservation }, transition: { kind: 'resolved', startsAtMs: state.firingSinceMs ?? nowMs, endsAtMs: nowMs } }
  }
  return { state: { ...state, lastObservation } }
}

/** What an observation counts as under the no-data policy. */
function resolveObservation(state: AlertState, observation: Observation, policy: NoDataPolicy): 'true' | 'false' {
  if (observation !== 'no-data') return observation
  if (policy === 'alert') return 'true'
  if (policy === 'keep_last') return state.lastObservation ?? 'false'
  return 'false'
}

/**
 * Whether a step's new state must be written to the store for a restart to resume with the
 * same decisions. Every field a later step reads is saved when it changes: the phase, when the
 * condition became true and started firing, and the last observation (keep_last). The last-true
 * time is read by one decision only, whether a firing alert whose condition turned false is
 * still inside `keep_firing_for`; a pending alert never reads it (false cancels, true sets it
 * to now, firing sets it to now) and neither does a firing alert without `keep_firing_for` (a
 * false observation resolves it whatever the time). So its moves are saved only for a firing
 * alert with `keep_firing_for`; otherwise the stored copy may hold an older last-true time
 * that no transition depends on. `before` is the state the step started from (whose own
 * decision fields were saved when they changed, so the stored copy agrees on them).
 */
export function mustPersist(before: AlertState, after: AlertState, timing: AlertTiming): boolean {
  if (after === before) return false
  if (after.phase !== before.phase || after.activeSinceMs !== before.activeSinceMs || after.firingSinceMs !== before.firingSinceMs || after.lastObservation !== before.lastObservation) return true
  return after.lastTrueMs !== before.lastTrueMs && after.phase === 'firing' && timing.keepFiringForMs > 0
}
