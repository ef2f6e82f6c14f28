// Reference evaluation of publicodes rules with the official engine (npm `publicodes`, pinned in package.json).
//
// One process for a whole grid. Reads on stdin:
//   {"situations": [{rule: value, ...}, ...],
//    "programmes": [{"id": str, "rules": {...}, "situation": {...}, "evaluate": [rule, ...],
//                    "inputs": [rule, ...]}, ...]}
// and writes on stdout:
//   {"publicodes": version, "results": {id: {"error": str} | {"values": [[value per rule] per situation],
//                                                           "missing": [[[rule...] per rule] per situation]}}}
// Each programme's situation (its own facts, such as its validity dates) is merged over each shared situation.
// Keys that are not rules of the programme are dropped, as the TEE back end does before `setSituation`, and so
// are keys outside `inputs` (the rules the evaluated ones can read, computed by the caller): a key left out by
// mistake could only make the reference answer differ, never hide a difference. Equal narrowed situations are
// evaluated once (publicodes 1.x takes a few milliseconds per situation).
// `undefined` (missing data) is written as the string "__undefined__"; `null` (non applicable) as null.
// The programmes are shared between worker threads of this one process (the machine has 2 cores).
import Engine from 'publicodes'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'

const UNDEFINED = '__undefined__'
// Warnings (e.g. unit inference) are not failures; an error the engine logs instead of throwing is one.
const logger = { log() {}, warn() {}, error(message) { throw new Error(`publicodes: ${message}`) } }

function evaluateProgramme(programme, situations) {
  let engine
  try {
    engine = new Engine(programme.rules, { strict: { noOrphanRule: false }, logger })
  } catch (error) {
    return { error: String(error.message ?? error) }
  }
  const parsedRules = engine.getParsedRules()
  const inputs = new Set(programme.inputs)
  const values = []
  const missing = []
  const done = new Map()
  for (const situation of situations) {
    const merged = { ...situation, ...programme.situation }
    const narrowed = Object.entries(merged)
      .filter(([key]) => key in parsedRules && inputs.has(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const key = JSON.stringify(narrowed)
    if (done.has(key)) {
      values.push(done.get(key)[0])
      missing.push(done.get(key)[1])
      continue
    }
    engine.setSituation(Object.fromEntries(narrowed))
    const row = []
    const rowMissing = []
    for (const rule of programme.evaluate) {
      // The rule's own node: the same evaluation as `engine.evaluate(rule)`, without re-parsing the name.
      const evaluation = engine.evaluateNode(parsedRules[rule])
      row.push(evaluation.nodeValue === undefined ? UNDEFINED : evaluation.nodeValue)
      rowMissing.push(Object.keys(evaluation.missingVariables ?? {}).sort())
    }
    done.set(key, [row, rowMissing])
    values.push(row)
    missing.push(rowMissing)
  }
  return { values, missing }
}

if (isMainThread) {
  const entry = createRequire(import.meta.url).resolve('publicodes')
  // The package does not export its package.json: read it next to its entry point (dist/../package.json).
  const version = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')).version
  const input = JSON.parse(readFileSync(0, 'utf8'))
  const threads = Math.max(1, Math.min(2, availableParallelism(), input.programmes.length))
  const shares = Array.from({ length: threads }, (_, i) => input.programmes.filter((_, j) => j % threads === i))
  const parts = await Promise.all(
    shares.map(
      (programmes) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: { programmes, situations: input.situations },
          })
          worker.once('message', resolve)
          worker.once('error', reject)
        }),
    ),
  )
  process.stdout.write(JSON.stringify({ publicodes: version, results: Object.assign({}, ...parts) }))
} else {
  const results = {}
  for (const programme of workerData.programmes) {
    results[programme.id] = evaluateProgramme(programme, workerData.situations)
  }
  parentPort.postMessage(results)
}
