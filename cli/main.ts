// The `krelay` process: runs the program (program.ts) on the command line, then exits with
// its status once stdout is out.
import { main } from './program.ts'

const status = await main(process.argv.slice(2))
// process.exit() drops stdout writes still queued for a full pipe (krelay tail stopped by
// Ctrl-C while its reader lags): let them out first, but never wait on a reader for long.
await new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, 2000)
  process.stdout.write('', () => { clearTimeout(timer); resolve() })
})
process.exit(status)
