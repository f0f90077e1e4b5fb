import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium (`scripts/services install --with-chromium`); never a downloaded browser. */
export const CHROMIUM = process.env.ADW_CHROMIUM ?? '/usr/bin/chromium'

/** Where browser tests put their screenshots (gitignored). */
export const ARTIFACTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts')

/**
 * Launches Debian's Chromium headless with the flags this machine needs (no sandbox as root,
 * no GPU, and no background connections, which a closed network refuses); playwright gives it
 * a fresh profile.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    })
  } catch (err) {
    throw new Error(`Chromium at ${CHROMIUM} did not start (${(err as Error).message.split('\n')[0]}); install it with \`bash scripts/services install --with-chromium\` (npm test does)`)
  }
}

/** The path of a screenshot in the artifacts folder. */
export function artifact(name: string): string {
  return path.join(ARTIFACTS_DIR, name)
}
