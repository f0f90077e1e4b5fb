import { fingerprintOf } from '../alerts/alert-event.ts'
import { INACTIVE, stepAlert, type AlertState, type AlertTiming, type Transition } from '../alerts/state-machine.ts'
import type { Level } from '../stream/event.ts'
import { compileRule, type CompiledCondition } from './compile-rule.ts'
import { parseDuration } from './duration.ts'
import type { Facts } from './fact-catalogue.ts'
import type { StoredRule } from './rule-model.ts'
import { inScope, type EntityLabels } from './scope.ts'
import { factsRead } from './templates.ts'

/** One entity to evaluate: its facts now, its labels, and whether it had any data in the last hour. */
export interface EntityInput {
  readonly level: Level
  readonly entity: string
  readonly labels: EntityLabels
  readonly facts: Facts
  readonly hasData: boolean
}

/** A transition found by the evaluator, before the runner adds explanation and annotations. */
export interface RuleTransition {
  readonly stored: StoredRule
  readonly fingerprint: string
  readonly input: EntityInput
  readonly transition: Transition
  readonly readFacts: ReadonlySet<string>
}

interface CompiledRule {
  readonly stored: StoredRule
  readonly test: CompiledCondition
  readonly timing: AlertTiming
  readonly everyMs: number
  readonly readFacts: ReadonlySet<string>
}

/**
 * Evaluates a tenant's rules over entity facts each tick and steps every alert identity's
 * state machine. Pure apart from the state it holds: facts and the time come in, transitions
 * and changed states go out (the runner persists them).
 */
export class RuleEvaluator {
  private rules: CompiledRule[] = []
  private readonly states = new Map<string, AlertState>()
  private readonly lastRunMs = new Map<string, number>()
  private readonly fingerprints = new Map<string, string>()

  constructor(readonly tenant: string, initialStates: ReadonlyMap<string, AlertState> = new Map()) {
    for (const [fp, s] of initialStates) this.states.set(fp, s)
  }

  /** Replaces the rule set (after a save); disabled rules are dropped. */
  setRules(rules: readonly StoredRule[]): void {
    this.fingerprints.clear() // labels may have changed with the rules
    this.rules = rules
      .filter((s) => s.rule.enabled !== false)
      .map((stored) => ({
        stored,
        test: compileRule(stored.rule),
        timing: {
          forMs: parseDuration(stored.rule.for ?? '0s') ?? 0,
          keepFiringForMs: parseDuration(stored.rule.keep_firing_for ?? '0s') ?? 0,
          noData: stored.rule.no_data ?? 'ok',
        },
        everyMs: parseDuration(stored.rule.every ?? '0s') ?? 0,
        readFacts: factsRead(stored.rule.conditions, factsRead(stored.rule.shared_conditions ?? {})),
      }))
  }

  /** Levels some enabled rule runs at. */
  levels(): Set<Level> {
    return new Set(this.rules.map((r) => r.stored.rule.level))
  }

  /** Number of enabled rules. */
  get ruleCount(): number {
    return this.rules.length
  }

  /** Evaluates every rule on the entities of its level; returns transitions and changed states. */
  evaluate(entities: readonly EntityInput[], nowMs: number): { transitions: RuleTransition[]; changed: Map<string, AlertState> } {
    const transitions: RuleTransition[] = []
    const changed = new Map<string, AlertState>()
    for (const r of this.rules) {
      const rule = r.stored.rule
      if (r.everyMs > 0 && nowMs - (this.lastRunMs.get(rule.id) ?? -Infinity) < r.everyMs) continue
      this.lastRunMs.set(rule.id, nowMs)
      for (const input of entities) {
        if (input.level !== rule.level || !inScope(rule.scope, input.labels)) continue
        const fingerprint = this.fingerprint(rule.id, rule.labels ?? {}, input)
        const before = this.states.get(fingerprint) ?? INACTIVE
        const observation = input.hasData ? (r.test(input.facts) ? 'true' : 'false') : 'no-data'
        if (before === INACTIVE && observation !== 'true' && r.timing.noData !== 'alert') continue // nothing to do, nothing to store
        const { state, transition } = stepAlert(before, observation, r.timing, nowMs)
        if (state !== before) {
          if (state.phase === 'inactive' && before.phase === 'inactive') {
            if (this.states.has(fingerprint)) changed.set(fingerprint, state)
            this.states.delete(fingerprint)
          } else {
            if (state.phase === 'inactive') this.states.delete(fingerprint)
            else this.states.set(fingerprint, state)
            changed.set(fingerprint, state)
          }
        }
        if (transition !== undefined) transitions.push({ stored: r.stored, fingerprint, input, transition, readFacts: r.readFacts })
      }
    }
    return { transitions, changed }
  }

  /** The alert identity of a rule on an entity, cached (hashing every pair every tick is costly). */
  private fingerprint(ruleId: string, labels: Readonly<Record<string, string>>, input: EntityInput): string {
    const key = `${ruleId}\u0000${input.level}\u0000${input.entity}`
    let fp = this.fingerprints.get(key)
    if (fp === undefined) {
      if (this.fingerprints.size > 2_000_000) this.fingerprints.clear()
      fp = fingerprintOf(ruleId, this.tenant, input.level, input.entity, labels)
      this.fingerprints.set(key, fp)
    }
    return fp
  }

  /** Fingerprints of open (pending or firing) alerts. */
  openFingerprints(): string[] {
    return [...this.states.keys()]
  }
}
