/**
 * The front door of detectors/: what other parts of adwatch use. The rules engine reads the
 * latest scores as facts `anomaly_<detector>` (readDetectorScores); the alerts pipeline
 * consumes findings through a FindingSink; the run command starts a runner.
 */
export { DETECTOR_NAMES, type DetectorName } from './detector.ts'
export { FanoutFindingSink, LoggingFindingSink, MemoryFindingSink, type DetectorFinding, type FindingSink } from './finding.ts'
export { readDetectorScores } from './redis-score-store.ts'
export { requestRetrain, setDetectorThreshold } from './redis-detector-settings.ts'
export { createDetectorRunner, createDetectorService, runnerSettings, type DetectorService } from './runtime.ts'
export { DetectorRunner, type RunnerSettings, type TickReport } from './runner.ts'
export { createSeriesDetector, SERIES_DETECTOR_NAMES, type SeriesDetector } from './series-detectors.ts'
export { scoreCsv } from './score-csv.ts'
export { scoreToZ, zToScore } from './stats.ts'
