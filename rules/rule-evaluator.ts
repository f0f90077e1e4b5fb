import { fingerprintOf } from '../alerts/alert-event.ts'
import { INACTIVE, mustPersist, stepAlert, type AlertState, type AlertTiming, type Transition } from '../alerts/state-machine.ts'
import type { Level } from '../stream/event.ts'
import { compileRuleOver, type FactValue, type SlottedCondition } from './compile-rule.ts'
import { parseDuration } from './duration.ts'
import type { Facts } from './fact-catalogue.ts'
import { LiveFactPlan } from './live-facts.ts'
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

/** A transition of one pass, naming its entity by level and position in the pass. */
export interface PassTransition extends Omit<RuleTransition, 'input'> {
  readonly level: Level
  readonly seq: number
}

/**
 * What a pass found: transitions in rule order, then entity order; states to save (those whose
 * change a restart needs, see mustPersist in alerts/state-machine.ts; inactive ones to delete).
 */
export interface PassResult {
  readonly transitions: readonly PassTransition[]
  readonly changed: Map<string, AlertState>
}

/** What the evaluator needs of one entity: its labels (for scopes and fingerprints). */
export interface EntityLabelsIn {
  readonly platform: string
  readonly account: string
  readonly campaign: string
  readonly adset: string
}

interface CompiledRule {
  readonly stored: StoredRule
  /** Position in the tenant's rule list (transitions are reported in this order). */
  readonly order: number
  readonly test: SlottedCondition
  readonly timing: AlertTiming
  readonly everyMs: number
  readonly readFacts: ReadonlySet<string>
}

/** The rules of one level, and the facts they read. */
interface LevelRules {
  readonly rules: readonly CompiledRule[]
  readonly plan: LiveFactPlan
}

/** Per entity: the alert state and fingerprint of each rule of its level, and which rules scope it in. */
interface EntityRecord {
  /** The labels the scopes were decided on (compared field by field each pass). */
  platform: string | undefined
  account: string
  campaign: string
  adset: string
  readonly inScope: Uint8Array
  readonly fingerprints: Array<string | undefined>
  readonly states: Array<AlertState | undefined>
  lastSeenMs: number
}

/** A number fact's slot value: the number, or NaN for null. */
function numberSlot(name: string, v: Facts[string] | undefined): number {
  if (typeof v === 'number' && !Number.isNaN(v)) return v
  if (v === null) return NaN
  throw new Error(`fact ${name} is a number fact; got ${String(v)}`)
}

const RECORD_IDLE_MS = 3 * 3_600_000 // longer than the runner keeps an idle entity (2 h)
const RECORD_SWEEP_MS = 60_000

/**
 * Evaluates a tenant's rules over entity facts each tick and steps every alert identity's
 * state machine. Pure apart from the state it holds: facts and the time come in, transitions
 * and the state changes a restart needs go out (the runner persists them): an open alert whose
 * condition keeps holding moves only its last-true time, saved only where `keep_firing_for`
 * reads it (mustPersist), so a steady firing alert costs no write per tick.
 *
 * The rules of a level are compiled over one fact plan (the facts they read, in slots), so a
 * tick computes those facts once per entity into a flat array and runs every rule on it. Each
 * entity keeps its alert states and fingerprints by rule position: a rule that does not hold
 * on an entity without an open alert costs one compiled test and no lookup, no hashing and no
 * allocation. Open states are also kept by fingerprint (what the store persists); states
 * loaded at start are matched to entities as they first appear.
 */
export class RuleEvaluator {
  private rules: CompiledRule[] = []
  private byLevel = new Map<Level, LevelRules>()
  private readonly states = new Map<string, AlertState>()
  /** Open states held by some entity record; the rest are matched as entities appear. */
  private held = 0
  private readonly records = new Map<Level, Map<string, EntityRecord>>()
  private readonly lastRunMs = new Map<string, number>()
  private sweptAtMs = -Infinity
  // The current pass.
  private nowMs = 0
  private due: Uint8Array = new Uint8Array(0)
  private found: PassTransition[] = []
  private changed = new Map<string, AlertState>()
  /** Whether rules were set before (a later set may give a firing alert a `keep_firing_for`). */
  private ruled = false
  /** Whether the next pass saves every open state (after a rule change). */
  private resave = false

  constructor(readonly tenant: string, initialStates: ReadonlyMap<string, AlertState> = new Map()) {
    for (const [fp, s] of initialStates) this.states.set(fp, s)
  }

  /** Replaces the rule set (after a save); disabled rules are dropped. */
  setRules(rules: readonly StoredRule[]): void {
    const enabled = rules.filter((s) => s.rule.enabled !== false)
    const byLevel = new Map<Level, StoredRule[]>()
    for (const s of enabled) byLevel.set(s.rule.level, [...(byLevel.get(s.rule.level) ?? []), s])
    this.rules = []
    this.byLevel = new Map()
    for (const [level, stored] of byLevel) {
      const reads = stored.map((s) => factsRead(s.rule.conditions, factsRead(s.rule.shared_conditions ?? {})))
      const plan = new LiveFactPlan(reads.flatMap((r) => [...r]))
      const slot = new Map(plan.names.map((n, i) => [n, i]))
      const compiled = stored.map((s, i): CompiledRule => ({
        stored: s,
        order: enabled.indexOf(s),
        test: compileRuleOver(s.rule, (fact) => {
          const i = slot.get(fact)!
          return { slot: i, numeric: plan.numeric[i]! }
        }),
        timing: {
          forMs: parseDuration(s.rule.for ?? '0s') ?? 0,
          keepFiringForMs: parseDuration(s.rule.keep_firing_for ?? '0s') ?? 0,
          noData: s.rule.no_data ?? 'ok',
        },
        everyMs: parseDuration(s.rule.every ?? '0s') ?? 0,
        readFacts: reads[i]!,
      }))
      this.byLevel.set(level, { rules: compiled, plan })
      this.rules.push(...compiled)
    }
    this.rules.sort((a, b) => a.order - b.order)
    // Positions and labels may have changed with the rules: entities match their states again.
    this.records.clear()
    this.held = 0
    // A rule may have gained `keep_firing_for`, whose firing alerts' last-true time the store
    // holds only from now on (see mustPersist): the next pass saves every open state once.
    if (this.ruled) this.resave = true
    this.ruled = true
  }

  /** Levels some enabled rule runs at, in the order of their first rule. */
  levels(): Set<Level> {
    return new Set(this.rules.map((r) => r.stored.rule.level))
  }

  /** The facts the rules of a level read, in the slot order `evaluateEntity` expects. */
  plan(level: Level): LiveFactPlan | undefined {
    return this.byLevel.get(level)?.plan
  }

  /** Number of enabled rules. */
  get ruleCount(): number {
    return this.rules.length
  }

  /** Starts a pass at `nowMs`: decides which rules are due (`every`). */
  begin(nowMs: number): void {
    this.nowMs = nowMs
    this.found = []
    this.changed = new Map()
    this.due = new Uint8Array(this.rules.length)
    for (const r of this.rules) {
      const id = r.stored.rule.id
      if (r.everyMs > 0 && nowMs - (this.lastRunMs.get(id) ?? -Infinity) < r.everyMs) continue
      this.lastRunMs.set(id, nowMs)
      this.due[r.order] = 1
    }
  }

  /**
   * Runs the due rules of `level` on one entity whose planned facts are at `base` of `nums`
   * and `values` (plan(level) order, as LiveFactPlan.compute writes them), stepping its alert
   * states. `seq` is its position in the pass.
   */
  evaluateEntity(level: Level, entity: string, seq: number, labels: EntityLabelsIn, nums: Float64Array, values: ArrayLike<FactValue>, base: number, hasData: boolean): void {
    const lr = this.byLevel.get(level)
    if (lr === undefined) return
    const rules = lr.rules
    const rec = this.recordOf(level, entity, labels, rules)
    const due = this.due
    const nowMs = this.nowMs
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!
      if (due[r.order] === 0 || rec.inScope[i] === 0) continue
      const before = rec.states[i] ?? INACTIVE
      const observation = hasData ? (r.test(nums, values, base) ? 'true' : 'false') : 'no-data'
      if (before === INACTIVE && observation !== 'true' && r.timing.noData !== 'alert') continue // nothing to do, nothing to store
      const fingerprint = (rec.fingerprints[i] ??= fingerprintOf(r.stored.rule.id, this.tenant, level, entity, r.stored.rule.labels ?? {}))
      const { state, transition } = stepAlert(before, observation, r.timing, nowMs)
      if (state !== before) {
        if (state.phase === 'inactive' && before.phase === 'inactive') {
          if (rec.states[i] !== undefined) this.changed.set(fingerprint, state)
          this.setState(rec, i, fingerprint, undefined)
        } else {
          this.setState(rec, i, fingerprint, state.phase === 'inactive' ? undefined : state)
          if (mustPersist(before, state, r.timing)) this.changed.set(fingerprint, state)
        }
      }
      if (transition !== undefined) this.found.push({ stored: r.stored, fingerprint, transition, readFacts: r.readFacts, level, seq })
    }
  }

  /** Ends the pass: its transitions (rule order, then entity order) and the states to save. */
  end(): PassResult {
    const order = new Map(this.rules.map((r) => [r.stored, r.order]))
    const transitions = this.found.sort((a, b) => order.get(a.stored)! - order.get(b.stored)! || a.seq - b.seq)
    if (this.nowMs - this.sweptAtMs >= RECORD_SWEEP_MS) this.sweep()
    if (this.resave) for (const [fp, s] of this.states) this.changed.set(fp, s)
    this.resave = false
    const out = { transitions, changed: this.changed }
    this.found = []
    this.changed = new Map()
    return out
  }

  /** Evaluates every rule on the entities of its level; returns transitions and changed states. */
  evaluate(entities: readonly EntityInput[], nowMs: number): { transitions: RuleTransition[]; changed: Map<string, AlertState> } {
    this.begin(nowMs)
    const seqs = new Map<Level, number>()
    const inputs = new Map<string, EntityInput>()
    for (const input of entities) {
      const plan = this.plan(input.level)
      if (plan === undefined) continue
      const seq = seqs.get(input.level) ?? 0
      seqs.set(input.level, seq + 1)
      inputs.set(`${input.level}\u0000${seq}`, input)
      const values = plan.names.map((n) => input.facts[n])
      const nums = Float64Array.from(plan.names, (n, i) => (plan.numeric[i] ? numberSlot(n, input.facts[n]) : NaN))
      this.evaluateEntity(input.level, input.entity, seq, input.labels, nums, values, 0, input.hasData)
    }
    const { transitions, changed } = this.end()
    return { transitions: transitions.map((t) => ({ ...t, input: inputs.get(`${t.level}\u0000${t.seq}`)! })), changed }
  }

  /** Fingerprints of open (pending or firing) alerts. */
  openFingerprints(): string[] {
    return [...this.states.keys()]
  }

  private setState(rec: EntityRecord, i: number, fingerprint: string, state: AlertState | undefined): void {
    if (rec.states[i] !== undefined) this.held--
    rec.states[i] = state
    if (state === undefined) {
      this.states.delete(fingerprint)
    } else {
      this.held++
      this.states.set(fingerprint, state)
    }
  }

  private recordOf(level: Level, entity: string, labels: EntityLabelsIn, rules: readonly CompiledRule[]): EntityRecord {
    let records = this.records.get(level)
    if (records === undefined) this.records.set(level, (records = new Map()))
    let rec = records.get(entity)
    if (rec === undefined) {
      rec = {
        platform: undefined, account: '', campaign: '', adset: '',
        inScope: new Uint8Array(rules.length), fingerprints: new Array(rules.length).fill(undefined), states: new Array(rules.length).fill(undefined), lastSeenMs: this.nowMs,
      }
      records.set(entity, rec)
      if (this.states.size > this.held) {
        // Some open states belong to no entity yet (loaded at start, or after a rule change): match this one's.
        rules.forEach((r, i) => {
          const fp = fingerprintOf(r.stored.rule.id, this.tenant, level, entity, r.stored.rule.labels ?? {})
          rec!.fingerprints[i] = fp
          const s = this.states.get(fp)
          if (s !== undefined) {
            rec!.states[i] = s
            this.held++
          }
        })
      }
    }
    rec.lastSeenMs = this.nowMs
    if (rec.platform !== labels.platform || rec.account !== labels.account || rec.campaign !== labels.campaign || rec.adset !== labels.adset) {
      rec.platform = labels.platform
      rec.account = labels.account
      rec.campaign = labels.campaign
      rec.adset = labels.adset
      const full: EntityLabels = { level, platform: labels.platform, account: labels.account, campaign: labels.campaign, adset: labels.adset, entity }
      rules.forEach((r, i) => (rec!.inScope[i] = inScope(r.stored.rule.scope, full) ? 1 : 0))
    }
    return rec
  }

  /** Forgets entities not evaluated for hours (their open states stay, matched again if they return). */
  private sweep(): void {
    this.sweptAtMs = this.nowMs
    for (const records of this.records.values()) {
      for (const [entity, rec] of records) {
        if (this.nowMs - rec.lastSeenMs < RECORD_IDLE_MS) continue
        for (const s of rec.states) if (s !== undefined) this.held--
        records.delete(entity)
      }
    }
  }
}
