import { createReadStream, createWriteStream } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { loadConfig } from '../core/config.ts'
import { AdwatchError } from '../core/errors.ts'
import { LEVELS, type Level } from '../stream/event.ts'
import { requestRetrain, setDetectorThreshold } from './redis-detector-settings.ts'
import { readDetectorScores } from './redis-score-store.ts'
import { scoreCsv } from './score-csv.ts'
import { createSeriesDetector, SERIES_DETECTOR_NAMES } from './series-detectors.ts'

/**
 * The detectors' command line: `npx tsx detectors/cli.ts COMMAND [options]`.
 * - `detect --detector NAME --input in.csv [--output out.csv]`: scores a `timestamp,value`
 *   CSV (`-` for stdin/stdout) and writes `timestamp,value,anomaly_score`, streaming.
 * - `retrain [--tenant T]`: asks the runner to retrain a tenant's models (default all) now.
 * - `threshold --tenant T --value V [--detector NAME]`: sets a tenant's alert threshold.
 * - `scores --tenant T --level L ENTITY…`: prints the latest scores of entities.
 */

const USAGE = `usage: npx tsx detectors/cli.ts COMMAND [options]
  detect --detector NAME --input FILE|- [--output FILE|-]   score a timestamp,value CSV (detectors: ${SERIES_DETECTOR_NAMES.join(', ')})
  retrain [--tenant T]                                      retrain a tenant's models (default: every tenant) at the runner's next tick
  threshold --tenant T --value V [--detector NAME]          set a tenant's alert threshold (0-1; 0.8 is 6 sigma)
  scores --tenant T --level LEVEL ENTITY...                 print the latest detector scores of entities`

function usage(message: string): AdwatchError {
  return new AdwatchError('ADW_CONFIG_INVALID', `${message}\n${USAGE}`)
}

/** Runs one command; returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: [...rest],
        options: {
          detector: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' },
          tenant: { type: 'string' }, value: { type: 'string' }, level: { type: 'string' },
        },
        allowPositionals: command === 'scores',
        strict: true,
      })
    } catch (err) {
      throw usage((err as Error).message)
    }
  })()
  if (command === 'detect') {
    if (values.detector === undefined || values.input === undefined) throw usage('detect needs --detector and --input')
    const detector = createSeriesDetector(values.detector, '--detector')
    const input = values.input === '-' ? process.stdin : createReadStream(values.input)
    const toStdout = values.output === undefined || values.output === '-'
    const output = toStdout ? process.stdout : createWriteStream(values.output as string)
    const { rows } = await scoreCsv(input, output, detector, { endOutput: !toStdout })
    if (!toStdout) process.stderr.write(`scored ${rows} rows with ${detector.name} into ${values.output}\n`)
    return 0
  }
  if (command === 'retrain' || command === 'threshold' || command === 'scores') {
    const cfg = loadConfig()
    const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 2 })
    try {
      if (command === 'retrain') {
        await requestRetrain(redis, cfg.redis.keyPrefix, values.tenant ?? '*')
        process.stdout.write(`retrain of ${values.tenant ?? 'every tenant'} requested; the runner trains at its next tick\n`)
      } else if (command === 'threshold') {
        const value = Number(values.value)
        if (values.tenant === undefined || !(value > 0 && value <= 1)) throw usage('threshold needs --tenant and --value in (0, 1]')
        if (values.detector !== undefined) createSeriesDetector(values.detector, '--detector')
        await setDetectorThreshold(redis, cfg.redis.keyPrefix, values.tenant, value, values.detector)
        process.stdout.write(`threshold of ${values.tenant}${values.detector ? ` for ${values.detector}` : ''} set to ${value}\n`)
      } else {
        if (values.tenant === undefined || !(LEVELS as readonly string[]).includes(values.level ?? '') || positionals.length === 0) throw usage('scores needs --tenant, --level (account, campaign, adset, ad) and entities')
        const scores = await readDetectorScores(redis, cfg.redis.keyPrefix, values.tenant, values.level as Level, positionals)
        for (const e of positionals) process.stdout.write(`${e}\t${JSON.stringify(scores.get(e) ?? {})}\n`)
      }
    } finally {
      redis.disconnect()
    }
    return 0
  }
  throw usage(command === undefined ? 'no command given' : `unknown command "${command}"`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      const e = err as { code?: string; message?: string }
      process.stderr.write(`adwatch detectors: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`)
      process.exitCode = 1
    },
  )
}
