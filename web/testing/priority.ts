import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The pids `scripts/services` recorded for the running local servers (Redis, ClickHouse, Kinesis, Alertmanager). */
export function servicePids(): number[] {
  const r = spawnSync('bash', ['scripts/services', 'status'], { cwd: ROOT, encoding: 'utf8' })
  const pids: number[] = []
  for (const line of r.stdout.split('\n')) {
    const [, , pid, state] = line.trim().split(/\s+/)
    if (state === 'up' && pid !== undefined && /^\d+$/.test(pid)) pids.push(Number(pid))
  }
  return pids
}

/**
 * Sets the nice value of every thread of each process. Linux keeps a nice value per thread
 * (setpriority on a pid changes its main thread only), so each task id under /proc/<pid>/task
 * is set. Returns what could not be changed (a process that ended, or raising priority again
 * without the right to), for the caller to report; it never throws.
 */
export function setNice(pids: readonly number[], nice: number): string[] {
  const failed: string[] = []
  for (const pid of pids) {
    let tids: string[]
    try {
      tids = readdirSync(`/proc/${pid}/task`)
    } catch {
      failed.push(`${pid}: no such process`)
      continue
    }
    for (const tid of tids) {
      try {
        os.setPriority(Number(tid), nice)
      } catch (err) {
        failed.push(`${pid}/${tid}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      }
    }
  }
  return failed
}
