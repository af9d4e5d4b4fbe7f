// config show's lines: the value as TOML, its origin (a switch's flag as it was given), the
// fields not set; and check's summary counts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FIELDS } from '../../../cli/config/fields.ts'
import { loadConfig } from '../../../cli/config/load.ts'
import { checkSummary, showJson, showLines } from '../../../cli/config/show.ts'

test('one line per field, in the table\'s order, aligned, with its origin', () => {
  const loaded = loadConfig({ env: { KRELAY_ARCHIVE_FILE_MODE: '600', KRELAY_ARCHIVE_COMPACT: 'false' }, flags: { out: '/x', host: 'h', compact: true, follow: false, level: 'crit', metrics: '[::1]:9' } })
  const lines = showLines(loaded)
  assert.equal(lines.length, FIELDS.length)
  lines.forEach((line, i) => assert.ok(line.startsWith(`${FIELDS[i]!.path} = `) || line.startsWith(`# ${FIELDS[i]!.path}: not set (`), line))
  const line = (p: string): string => lines.find(l => l.startsWith(`${p} = `) || l.startsWith(`# ${p}:`))!
  assert.match(line('archive.file_mode'), /^archive\.file_mode = "0600" +# env KRELAY_ARCHIVE_FILE_MODE$/)
  assert.match(line('archive.compact'), /^archive\.compact = true +# flag --compact$/, 'the hidden opposite, as given')
  assert.match(line('follow'), /^follow = false +# flag --no-follow$/)
  assert.match(line('level'), /^level = "crit" +# flag --level$/)
  assert.match(line('metrics.listen'), /^metrics\.listen = "\[::1\]:9" +# flag --metrics$/)
  assert.match(line('live.group'), /^# live\.group: not set \(only root may connect: socket mode 0600\) +# default$/)
  assert.equal(new Set(lines.filter(l => !l.startsWith('# ')).map(l => l.indexOf('  #'))).size, 1, 'origins aligned')
  const json = JSON.parse(showJson(loaded)) as { config: { live: { group: null } } }
  assert.equal(json.config.live.group, null)
  assert.deepEqual(checkSummary(loaded), [
    '0 values from the file, 1 from the environment, 12 defaults (krelay config show lists them)',
    'archive /x (host h), spool /x/.spool, channel /sys/kernel/debug/krelay',
  ])
})
