// Compiles kmod/format.c in user space (with stand-ins for the few kernel headers it uses)
// next to a program that runs krelay_format_plain() and the C library's snprintf() on the
// same formats and arguments: for the plain conversions both must give the same bytes and
// length, and every format the kernel's vsnprintf() would treat differently (flags, width,
// precision, other conversions or sizes, "(null)"/"(efault)" pointers, no room) must be
// refused with -1, so that krelay falls back to vsnprintf().
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const kmodDir = fileURLToPath(new URL('../../kmod/', import.meta.url))
const driver = fileURLToPath(new URL('format-driver.c', import.meta.url))

const SHIMS: Record<string, string> = {
  'linux/types.h': '#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <sys/types.h>\ntypedef uint64_t u64;\ntypedef int64_t s64;\n',
  'linux/kernel.h': '#include <stdarg.h>\n',
  'linux/mm.h': '#define PAGE_SIZE 4096UL\n',
  'linux/err.h': '#define IS_ERR(p) ((unsigned long)(const void *)(p) >= (unsigned long)-4095)\n',
  'linux/string.h': '#include <string.h>\n',
  'krelay.h': '#include <stdarg.h>\n#include <stddef.h>\nint krelay_format_plain(char *buf, size_t size, const char *fmt, va_list args);\n',
}

test('krelay_format_plain() gives snprintf()\'s bytes for plain conversions and refuses the rest', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-format-'))
  try {
    for (const [name, text] of Object.entries(SHIMS)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
      fs.writeFileSync(path.join(dir, name), text)
    }
    // in the shims' directory, so that its "krelay.h" is the shim
    fs.copyFileSync(path.join(kmodDir, 'format.c'), path.join(dir, 'format.c'))
    fs.copyFileSync(driver, path.join(dir, 'driver.c'))
    const bin = path.join(dir, 'driver')
    execFileSync('cc', ['-std=gnu11', '-O2', '-Wall', '-Werror', '-Wno-format-zero-length', '-Wno-format',
      '-Wno-format-security', '-I', dir, '-o', bin, path.join(dir, 'format.c'), path.join(dir, 'driver.c')])
    const lines = execFileSync(bin, { encoding: 'latin1' }).trim().split('\n')
    const verdicts = (word: string): string[] => lines.filter(l => l.startsWith(`${word} `))
    assert.deepEqual(lines.filter(l => !/^(same|fits|refused) /.test(l)), [])
    // every case ran: a CASE also refuses a buffer one byte short
    const source = fs.readFileSync(driver, 'utf8')
    const cases = source.match(/^\tCASE\(/gm)?.length ?? 0
    const refusals = source.match(/^\tREFUSE\(\d+,/gm)?.length ?? 0
    assert.ok(cases > 10 && refusals > 10)
    assert.equal(verdicts('same').length, cases)
    assert.equal(verdicts('fits').length, cases)
    assert.equal(verdicts('refused').length, cases + refusals)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
