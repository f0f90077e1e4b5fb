import { DETECTOR_NAMES, type DetectorName, type EntityDetector } from './detector.ts'
import { UnknownDetectorError } from './errors.ts'
import { EwmaDetector } from './ewma-detector.ts'
import { FlatlineDetector } from './flatline-detector.ts'
import type { ForestBatchScorer } from './forest-pool.ts'
import { IForestDetector } from './iforest-detector.ts'
import { SeasonalZDetector } from './seasonal-z-detector.ts'

/** What detectors may share: the isolation forest's batch scorer (a ForestPool, or serial by default). */
export interface DetectorResources {
  readonly forestScorer?: ForestBatchScorer
}

/** The registry of entity detectors: name → factory. */
export const entityDetectorFactories = {
  iforest: (r: DetectorResources) => new IForestDetector(r.forestScorer),
  seasonal_z: () => new SeasonalZDetector(),
  ewma: () => new EwmaDetector(),
  flatline: () => new FlatlineDetector(),
} satisfies Record<DetectorName, (r: DetectorResources) => EntityDetector>

/**
 * Builds the named detectors in the given order; an unknown name is an ADW_DETECT_UNKNOWN
 * error naming `source` (e.g. "ADW_DETECT_DETECTORS[2]"), never a silent skip.
 */
export function createEntityDetectors(names: readonly string[], source: string, resources: DetectorResources = {}): EntityDetector[] {
  return names.map((name, i) => {
    if (!(DETECTOR_NAMES as readonly string[]).includes(name)) throw new UnknownDetectorError(`${source}[${i}]`, name, DETECTOR_NAMES)
    return entityDetectorFactories[name as DetectorName](resources)
  })
}
