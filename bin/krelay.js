#!/usr/bin/env node
// The `krelay` command: runs cli/main.ts through tsx, so a clean clone needs no build step.
import { register } from 'tsx/esm/api'

register()
await import(new URL('../cli/main.ts', import.meta.url).href)
