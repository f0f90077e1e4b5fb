/**
 * Shapes of gateway routes that did not exist yet when the dashboard was written (alerts,
 * silences, rules, backtest, detectors): proposed here from DESIGN.md, issue 6's route list,
 * rules/rule-model.ts and alerts/alert-event.ts. When gateway/api-types.ts gains a shape,
 * the dashboard imports it from there and this file loses it.
 */
// Rules and detectors landed in the gateway: their shapes live in gateway/api-types.ts.
export type {
  BacktestRequest, BacktestResultDto, DetectorDto, DetectorScoreDto, DetectorStatus, Rule, RuleProblem, StoredRuleDto, ValidationDto,
} from '../../../gateway/api-types.ts'
// So did alerts and silences.
export type { AlertDto, AlertPhase, AlertSeverity, MatcherDto, SilenceDto, SilenceInput } from '../../../gateway/api-types.ts'
// And the score history.
export type { ScoreSeriesDto } from '../../../gateway/api-types.ts'

