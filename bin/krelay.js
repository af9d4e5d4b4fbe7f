#!/usr/bin/env node
// The `krelay` command: runs cli/main.ts through tsx, so a clean clone needs no build step.
import v8 from 'node:v8'
import { register } from 'tsx/esm/api'

// Small young generations (bench/memory.ts): V8 grows an isolate's new space to 16-32 MiB
// when it allocates steadily, and `krelay collect` has four isolates (this thread, tsx's
// loader thread, the archive worker and its loader thread). No hot path allocates per
// record, so 1 MiB semi-spaces cost only more, shorter scavenges. The flag applies to the
// isolates created from now on; this thread's is set up already (only node's command
// line could change it).
v8.setFlagsFromString('--max-semi-space-size=1')
register()
await import(new URL('../cli/main.ts', import.meta.url).href)
