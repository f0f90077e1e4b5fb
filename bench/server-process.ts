import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/**
 * Where a local server's CPU time goes, for servers that cannot report it themselves
 * (kinesalite): the process is found by the loopback port it listens on, and its threads'
 * scheduler statistics are read from /proc. Linux only; elsewhere nothing is found.
 */

/** CPU seconds a process's threads ran, and seconds they were ready to run but waiting for a CPU. */
export interface SchedSample {
  readonly runSec: number
  readonly waitSec: number
}

/** The pid of the process listening on a TCP port (IPv4 or IPv6), or undefined. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st … inode: state 0A is LISTEN, the port is hex after ':'.
      const f = line.trim().split(/\s+/)
      const local = f[1]
      if (local === undefined || f[3] !== '0A') continue
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && f[9] !== undefined) inodes.add(f[9])
    }
  }
  if (inodes.size === 0) return undefined
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    for (const fd of safeReaddir(`/proc/${entry}/fd`)) {
      let target: string
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`)
      } catch {
        continue
      }
      const m = /^socket:\[(\d+)\]$/.exec(target)
      if (m !== null && inodes.has(m[1]!)) return Number(entry)
    }
  }
  return undefined
}

/** Run and wait time of every thread of a process so far (/proc/PID/task/TID/schedstat), or undefined if it is gone. */
export function schedSample(pid: number): SchedSample | undefined {
  let runNs = 0
  let waitNs = 0
  const tasks = safeReaddir(`/proc/${pid}/task`)
  if (tasks.length === 0) return undefined
  for (const tid of tasks) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')
      runNs += Number(run)
      waitNs += Number(wait)
    } catch {
      // the thread ended meanwhile
    }
  }
  return { runSec: runNs / 1e9, waitSec: waitNs / 1e9 }
}

/** Cores busy and cores' worth of waiting between two samples over `wallSec`. */
export function schedShare(before: SchedSample | undefined, after: SchedSample | undefined, wallSec: number): { readonly busy: number; readonly waiting: number } | undefined {
  if (before === undefined || after === undefined || !(wallSec > 0)) return undefined
  return { busy: (after.runSec - before.runSec) / wallSec, waiting: (after.waitSec - before.waitSec) / wallSec }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
