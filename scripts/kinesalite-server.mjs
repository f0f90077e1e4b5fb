#!/usr/bin/env node
// A Kinesis API server for local runs and tests: kinesalite (npm devDependency), in memory,
// streams ACTIVE at once, bound to loopback (its own CLI binds every interface).
//
//   node scripts/kinesalite-server.mjs [--port 14567] [--host 127.0.0.1]
//
// Defaults: port $ADW_KINESIS_PORT or 14567, host $ADW_KINESIS_HOST or 127.0.0.1 (the Docker
// image passes --host 0.0.0.0). Exits 0 on SIGTERM/SIGINT, 1 if it cannot listen.
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'

const require = createRequire(import.meta.url)
const kinesalite = require('kinesalite')

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.ADW_KINESIS_PORT ?? '14567' },
    host: { type: 'string', default: process.env.ADW_KINESIS_HOST ?? '127.0.0.1' },
  },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`kinesalite-server: bad port "${values.port}"`)
  process.exit(2)
}

const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 })

// Keep idle client connections open as AWS endpoints do (Node's default is 5 s): a client whose
// event loop is busy for longer would otherwise send GetRecords on a socket the server had just
// closed ("socket hang up") and back off.
server.keepAliveTimeout = 120_000
server.headersTimeout = 125_000

server.on('error', (err) => {
  console.error(`kinesalite-server: ${err.message}`)
  process.exit(1)
})

server.listen(port, values.host, () => {
  const a = server.address()
  console.log(`kinesalite listening on http://${a.address}:${a.port} (pid ${process.pid})`)
})

let stopping = false
function stop(signal) {
  if (stopping) return
  stopping = true
  console.log(`kinesalite-server: ${signal}, closing`)
  // Everything is in memory: nothing to flush. Close politely, but never hang on keep-alive
  // connections held by clients.
  server.closeAllConnections?.()
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
