import { useCallback, useEffect, useMemo, useState } from 'react'
import type { Level } from '../../../gateway/api-types.ts'
import type { DetectorDto, DetectorScoreDto } from '../api/proposed-types.ts'
import { formatDateTime } from '../format.ts'
import { useServices } from '../services.tsx'

const REFRESH_MS = 10_000

/** Detectors: each model's version and training time with a retrain button, and the latest scores per entity. */
export function DetectorsView() {
  const { api, canEdit } = useServices()
  const [level, setLevel] = useState<Level>('campaign')
  const [detectors, setDetectors] = useState<readonly DetectorDto[] | undefined>()
  const [scores, setScores] = useState<readonly DetectorScoreDto[] | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [retraining, setRetraining] = useState<ReadonlySet<string>>(new Set())

  const load = useCallback(async () => {
    try {
      const [d, s] = await Promise.all([api.detectors(), api.detectorScores(level)])
      setDetectors(d.items)
      setScores(s.items)
      setError(undefined)
    } catch (err) {
      setError((err as Error).message)
    }
  }, [api, level])
  useEffect(() => {
    void load()
    const t = setInterval(() => void load(), REFRESH_MS)
    return () => clearInterval(t)
  }, [load])

  const retrain = async (name: string) => {
    setRetraining((s) => new Set(s).add(name))
    try {
      // A retrain covers the tenant's models of every level (the detectors of a level share them): reload every row.
      await api.retrain(name)
      await load()
    } catch (err) {
      setError(`Retrain of ${name} failed: ${(err as Error).message}`)
    } finally {
      setRetraining((s) => {
        const n = new Set(s)
        n.delete(name)
        return n
      })
    }
  }

  const names = useMemo(() => [...new Set((scores ?? []).flatMap((s) => Object.keys(s.scores)))].sort(), [scores])
  const sorted = useMemo(() => [...(scores ?? [])].sort((a, b) => maxScore(b) - maxScore(a)), [scores])
  return (
    <div className="detectors">
      <section className="panel" aria-labelledby="detectors-title">
        <div className="toolbar">
          <h2 id="detectors-title">Detectors</h2>
        </div>
        {error !== undefined && (
          <p className="error" role="alert">
            Detectors unavailable: {error}
          </p>
        )}
        <table className="grid" aria-label="Detector models">
          <thead>
            <tr>
              <th scope="col">Detector</th>
              <th scope="col">Level</th>
              <th scope="col">Model version</th>
              <th scope="col">Trained</th>
              <th scope="col">Threshold</th>
              <th scope="col">Status</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {detectors !== undefined && detectors.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  This gateway lists no detectors (the detectors process is not configured for it).
                </td>
              </tr>
            )}
            {(detectors ?? []).map((d) => (
              <tr key={`${d.name}-${d.level}`}>
                <td><strong>{d.name}</strong></td>
                <td>{d.level}</td>
                <td>{d.modelVersion ?? '—'}</td>
                <td>{formatDateTime(d.trainedAt)}</td>
                <td className="num">{d.threshold.toFixed(2)}</td>
                <td>{retraining.has(d.name) ? 'training' : d.status}</td>
                <td>
                  <button type="button" onClick={() => retrain(d.name)} disabled={!canEdit || retraining.has(d.name)} aria-label={`Retrain ${d.name}`}>
                    Retrain
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel" aria-labelledby="scores-title">
        <div className="toolbar">
          <h2 id="scores-title">Latest scores</h2>
          <div className="segmented" role="group" aria-label="Entity level">
            {(['account', 'campaign', 'adset'] as const).map((l) => (
              <button key={l} type="button" aria-pressed={level === l} onClick={() => setLevel(l)}>
                {l}
              </button>
            ))}
          </div>
        </div>
        <table className="grid" aria-label="Anomaly scores per entity">
          <thead>
            <tr>
              <th scope="col">Entity</th>
              {names.map((n) => (
                <th key={n} scope="col">{n}</th>
              ))}
              <th scope="col">Scored</th>
            </tr>
          </thead>
          <tbody>
            {scores !== undefined && scores.length === 0 && (
              <tr>
                <td colSpan={names.length + 2} className="muted">
                  No {level} scores yet: the detectors score each active entity once a minute.
                </td>
              </tr>
            )}
            {sorted.map((s) => (
              <tr key={s.entity}>
                <td>{s.entity}</td>
                {names.map((n) => (
                  <td key={n} className="num">
                    <ScoreCell score={s.scores[n] ?? null} />
                  </td>
                ))}
                <td>{formatDateTime(s.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  )
}

function maxScore(s: DetectorScoreDto): number {
  return Math.max(0, ...Object.values(s.scores).map((v) => v ?? 0))
}

function ScoreCell({ score }: { score: number | null }) {
  if (score === null) return <span className="muted">—</span>
  return (
    <span className="score" style={{ ['--score' as string]: String(Math.min(1, Math.max(0, score))) }} title={`score ${score.toFixed(3)}`}>
      {score.toFixed(2)}
    </span>
  )
}
