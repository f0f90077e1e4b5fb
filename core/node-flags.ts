/**
 * Node (V8) flags adwatch's own processes run with, by entry script. The gateway and the
 * worker allocate fast and answer live traffic: a larger young generation means fewer
 * scavenges, and fewer short-lived objects (a request's reply, a batch waiting for ClickHouse)
 * promoted to the old generation, whose collections pause the event loop (docs/decisions.md 16).
 * Every launcher applies these: scripts/dev.ts, the test and benchmark helpers (spawnGateway,
 * spawnWorker), docker-compose.yml, the Dockerfile and package.json (checked by
 * scripts/compose.test.ts).
 */
const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'gateway/main.ts': ['--max-semi-space-size=32'],
  'stream/main.ts': ['--max-semi-space-size=64'],
}

/** The Node flags of an entry script (relative to the repository root); none for the others. */
export function nodeFlagsOf(script: string): readonly string[] {
  return NODE_FLAGS[script] ?? []
}

/** The arguments of `node` to run an entry script with tsx and its flags, `extra` Node flags after them. */
export function nodeArgsOf(script: string, extra: readonly string[] = []): string[] {
  return [...nodeFlagsOf(script), ...extra, '--import', 'tsx', script]
}
