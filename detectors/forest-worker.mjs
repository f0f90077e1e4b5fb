// The entry of a ForestPool scoring thread. Node 20 does not apply `--import tsx` to worker
// threads (privatenumber/tsx#354), so the thread registers tsx itself, then loads the
// TypeScript worker (forest-worker.ts).
import { register } from 'tsx/esm/api'

register()
await import('./forest-worker.ts')
