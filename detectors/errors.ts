import { AdwatchError } from '../core/errors.ts'

/** A model cannot be trained or loaded (bad options, malformed stored model). */
export class DetectorModelError extends AdwatchError {
  constructor(detail: string, options?: ErrorOptions) {
    super('ADW_DETECT_MODEL', detail, options)
  }
}

/** A detector name is not registered; `source` says where the name came from. */
export class UnknownDetectorError extends AdwatchError {
  constructor(readonly source: string, readonly detectorName: string, known: readonly string[]) {
    super('ADW_DETECT_UNKNOWN', `${source}: unknown detector "${detectorName}"; use one of ${known.join(', ')}`)
  }
}

/** A row of a series to score is malformed; `row` counts data rows from 1. */
export class SeriesInputError extends AdwatchError {
  constructor(readonly row: number, detail: string) {
    super('ADW_DETECT_INPUT', `row ${row}: ${detail}`)
  }
}

/** A Redis or ClickHouse call of the detectors failed; the runner retries on its next tick. */
export class DetectorStoreError extends AdwatchError {
  constructor(detail: string, options?: ErrorOptions) {
    super('ADW_DETECT_STORE', detail, { ...options, retryable: true })
  }
}
