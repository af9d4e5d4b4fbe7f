#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node
// The `krelay` command. Its sources are TypeScript; it runs them as plain JavaScript,
// transpiled once per version of the sources into .cache/js/<hash>/ (vm/transpile.ts: the
// same tree the VM harness runs), made here at the first start after a change. Run through
// tsx, every thread that loads TypeScript has a loader thread and isolate of tsx's beside
// it: `krelay collect` had four isolates instead of two, 29 MiB of its peak RSS
// (bench/memory.ts), and each start took seconds longer under emulation. Where the tree
// cannot be made (a checkout it cannot write to), the sources run through tsx.
//
// The first line limits glibc's malloc to two arenas. glibc reads MALLOC_ARENA_MAX once,
// as the process starts, so only the command line that starts it can set it. Without it,
// every thread that mallocs gets an arena of its own (node's, and libuv's that run
// DuckDB's queries, whose C++ objects are glibc's), each keeping the memory it freed:
// 25-35 MiB of `krelay collect`'s RSS (bench/memory.ts, after 10 M records: 205 MiB, and
// 169-181 with two arenas).
// It applies where this file is run as a program: the installed `krelay` and the service.
// `node bin/krelay.js` goes without it.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import { sourceFiles, treeDir } from './source-tree.js'

// Small young generations (bench/memory.ts): V8 grows an isolate's new space to 16-32 MiB
// when it allocates steadily. No hot path allocates per record, so 1 MiB semi-spaces cost
// only more, shorter scavenges. The flag applies to the isolates created from now on (the
// archive worker); this thread's is set up already (only node's command line could change it).
v8.setFlagsFromString('--max-semi-space-size=1')

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

/** The transpiled tree's cli/main.js, made first if need be; null where it cannot be. */
function transpiledMain () {
  try {
    const main = path.join(treeDir(root, sourceFiles(root)), 'cli', 'main.js')
    if (!fs.existsSync(main)) {
      const transpile = pathToFileURL(path.join(root, 'vm', 'transpile.ts')).href
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `await (await import(${JSON.stringify(transpile)})).transpileCommand()`],
        { stdio: 'ignore' })
    }
    return pathToFileURL(main).href
  } catch {
    return null
  }
}

const main = transpiledMain()
if (main !== null) {
  await import(main)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../cli/main.ts', import.meta.url).href)
}
