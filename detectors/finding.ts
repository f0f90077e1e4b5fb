import type { Logger } from '../core/log.ts'
import type { Level } from '../stream/event.ts'

/**
 * A detector's verdict above its tenant's threshold, on one minute of one entity: what the
 * alerts pipeline consumes (its fingerprint is detector + tenant + level + entity).
 */
export interface DetectorFinding {
  readonly kind: 'detector'
  readonly detector: string
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly account: string
  /** Score in [0, 1] (see detectors/stats.ts: 0.8 is 6σ). */
  readonly score: number
  /** One sentence: which feature, expected vs actual. */
  readonly explanation: string
  /** The feature blamed, its expected and actual value in raw units (spend per minute, counts, ratios). */
  readonly expected: number
  readonly actual: number
  readonly feature: string
  /** Start of the minute judged (epoch ms). */
  readonly atMs: number
}

/** Where findings go; the alerts pipeline implements it. */
export interface FindingSink {
  submit(findings: readonly DetectorFinding[]): Promise<void>
}

/** Keeps findings in memory (tests, the benchmark, a runner without an alerts pipeline yet). */
export class MemoryFindingSink implements FindingSink {
  readonly findings: DetectorFinding[] = []
  /** When each submit call happened, by the injected clock, one entry per finding. */
  readonly submittedAtMs: number[] = []

  constructor(private readonly now: () => number = () => 0, private readonly limit = 1_000_000) {}

  async submit(findings: readonly DetectorFinding[]): Promise<void> {
    const at = this.now()
    for (const f of findings) {
      if (this.findings.length >= this.limit) {
        this.findings.shift()
        this.submittedAtMs.shift()
      }
      this.findings.push(f)
      this.submittedAtMs.push(at)
    }
  }
}

/** Logs each finding as a structured warning (the runner's default until the alerts pipeline consumes them). */
export class LoggingFindingSink implements FindingSink {
  constructor(private readonly log: Pick<Logger, 'warn'>) {}

  async submit(findings: readonly DetectorFinding[]): Promise<void> {
    for (const f of findings) {
      this.log.warn(
        { detector: f.detector, tenant: f.tenant, level: f.level, entity: f.entity, account: f.account, score: Number(f.score.toFixed(4)), feature: f.feature, expected: f.expected, actual: f.actual, atMs: f.atMs },
        `${f.detector} on ${f.level} ${f.entity}: ${f.explanation}`,
      )
    }
  }
}

/** Sends every finding to several sinks (for example the log and the alerts pipeline). */
export class FanoutFindingSink implements FindingSink {
  constructor(private readonly sinks: readonly FindingSink[]) {}

  async submit(findings: readonly DetectorFinding[]): Promise<void> {
    if (findings.length === 0) return
    await Promise.all(this.sinks.map((s) => s.submit(findings)))
  }
}
