/**
 * Builds the dashboard with esbuild (no Vite: its rollup lock entries break `npm ci` on this
 * machine's registry): web/src/main.tsx → web/dist/assets/main-<hash>.js and .css (uPlot's CSS
 * included), source maps, and web/dist/index.html naming them. `node --import tsx web/build.ts`
 * builds once; the run and test commands call it. `--dev`: React's development build, not
 * minified; `--no-minify`: production React, readable (for profiles).
 *
 * Two browser substitutions keep rules/validate-rule.ts usable as is in the editor:
 * - `ajv` is replaced by the rule schema's validator generated here with Ajv's standalone
 *   code, because the gateway's CSP (helmet: `script-src 'self'`) forbids the `new Function`
 *   Ajv compiles with at run time;
 * - `Buffer.byteLength` (its size check) comes from a tiny TextEncoder shim.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Ajv } from 'ajv'
import standaloneCodeModule from 'ajv/dist/standalone/index.js'
import * as esbuild from 'esbuild'
import { RULE_SCHEMA } from '../rules/rule-schema.ts'

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url))
/** The global `Buffer` of the bundle (web/src/shims/buffer.ts). */
export const BUFFER_SHIM = path.join(WEB_DIR, 'src/shims/buffer.ts')

/** What buildWeb writes and how. */
export interface BuildWebOptions {
  /** Output folder (default web/dist). */
  readonly outDir?: string
  /** Minify (default true). */
  readonly minify?: boolean
  /** React's development build, with its checks (default false; `--dev`). */
  readonly development?: boolean
}

/** What a build produced, relative to the output folder. */
export interface BuildWebResult {
  readonly outDir: string
  readonly js: string
  readonly css: string
  readonly bytes: number
}

type StandaloneCode = (ajv: Ajv, validate: unknown) => string
const standaloneCode = ((standaloneCodeModule as unknown as { default?: StandaloneCode }).default ?? standaloneCodeModule) as unknown as StandaloneCode

/** The rule schema's validator as ESM source (same Ajv options as rules/validate-rule.ts). */
export function ruleEnvelopeValidatorSource(): string {
  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true } })
  return standaloneCode(ajv, ajv.compile(RULE_SCHEMA))
}

/** Serves `import { Ajv } from 'ajv'` in the browser with the precompiled rule validator. */
export function precompiledAjvPlugin(): esbuild.Plugin {
  return {
    name: 'adwatch-precompiled-ajv',
    setup(build) {
      build.onResolve({ filter: /^ajv$/ }, () => ({ path: 'ajv-precompiled', namespace: 'adwatch' }))
      build.onResolve({ filter: /^adwatch:rule-envelope-validator$/ }, () => ({ path: 'rule-envelope-validator', namespace: 'adwatch' }))
      build.onLoad({ filter: /^ajv-precompiled$/, namespace: 'adwatch' }, () => ({
        contents: `
          import validate from 'adwatch:rule-envelope-validator'
          const RULE_SCHEMA_ID = ${JSON.stringify(RULE_SCHEMA.$id)}
          export class Ajv {
            compile(schema) {
              if (schema?.$id !== RULE_SCHEMA_ID) throw new Error('web build: only the rule schema is precompiled (web/build.ts); got ' + schema?.$id)
              return validate
            }
          }`,
        loader: 'js',
        resolveDir: WEB_DIR,
      }))
      build.onLoad({ filter: /^rule-envelope-validator$/, namespace: 'adwatch' }, () => ({
        contents: ruleEnvelopeValidatorSource(),
        loader: 'js',
        resolveDir: WEB_DIR,
      }))
    },
  }
}

/** Builds the dashboard into `outDir` (emptied first) and writes its index.html. */
export async function buildWeb(opts: BuildWebOptions = {}): Promise<BuildWebResult> {
  const outDir = opts.outDir ?? path.join(WEB_DIR, 'dist')
  const minify = opts.minify ?? true
  const development = opts.development ?? false
  await rm(outDir, { recursive: true, force: true })
  await mkdir(outDir, { recursive: true })
  const result = await esbuild.build({
    absWorkingDir: WEB_DIR,
    entryPoints: { main: path.join(WEB_DIR, 'src/main.tsx') },
    outdir: path.join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    publicPath: '/assets',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    minify,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': JSON.stringify(development ? 'development' : 'production') },
    inject: [BUFFER_SHIM],
    plugins: [precompiledAjvPlugin()],
  })
  const outputs = Object.entries(result.metafile.outputs)
  const pick = (ext: string) => {
    const hit = outputs.find(([file, o]) => file.endsWith(ext) && o.entryPoint !== undefined) ?? outputs.find(([file]) => file.endsWith(ext))
    if (hit === undefined) throw new Error(`web build: no ${ext} output`)
    return path.relative(outDir, path.resolve(WEB_DIR, hit[0])).split(path.sep).join('/')
  }
  const js = pick('.js')
  const css = pick('.css')
  const template = await readFile(path.join(WEB_DIR, 'index.html'), 'utf8')
  const html = template
    .replace('<!--css-->', `<link rel="stylesheet" href="/${css}">`)
    .replace('<!--js-->', `<script type="module" src="/${js}"></script>`)
  await writeFile(path.join(outDir, 'index.html'), html)
  const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0)
  return { outDir, js, css, bytes }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = Date.now()
  const dev = process.argv.includes('--dev')
  buildWeb({ minify: !dev && !process.argv.includes('--no-minify'), development: dev })
    .then((r) => console.error(`web: built ${r.js} and ${r.css} (${(r.bytes / 1024).toFixed(0)} KiB with maps) in ${Date.now() - t0} ms → ${path.relative(process.cwd(), r.outDir) || '.'}`))
    .catch((err: unknown) => {
      console.error(`web: build failed: ${(err as Error).message}`)
      process.exit(1)
    })
}
