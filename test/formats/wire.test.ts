// Compiles a program against formats/krelay_abi.h that prints every struct size, field
// offset and size, and constant; fails if formats/wire.ts differs in any, both ways.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ABI_CONSTANTS, ABI_STRUCTS } from '../../formats/wire.ts'

const formatsDir = fileURLToPath(new URL('../../formats/', import.meta.url))
const headerText = fs.readFileSync(path.join(formatsDir, 'krelay_abi.h'), 'utf8')
const withoutComments = headerText.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')

/** Field names of each struct, in declaration order, read from the header text. */
function headerStructs (): Map<string, string[]> {
  const structs = new Map<string, string[]>()
  for (const m of withoutComments.matchAll(/struct\s+(\w+)\s*\{([^}]*)\}\s*;/g)) {
    const fields = [...m[2]!.matchAll(/(\w+)\s*(?:\[[^\]]*\])?\s*;/g)].map((f) => f[1]!)
    structs.set(m[1]!, fields)
  }
  return structs
}

/** Every object-like #define except the include guard. */
function headerConstants (): string[] {
  return [...withoutComments.matchAll(/^\s*#define\s+(\w+)\s+\S/gm)].map((m) => m[1]!)
}

interface CLayout {
  structs: Map<string, { size: number, fields: Map<string, { offset: number, size: number }> }>
  constants: Map<string, number>
}

function compileAndRun (structs: Map<string, string[]>, constants: string[]): CLayout {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-layout-'))
  try {
    const lines: string[] = []
    for (const [name, fields] of structs) {
      lines.push(`printf("struct ${name} %zu\\n", sizeof(struct ${name}));`)
      for (const field of fields) {
        lines.push(`printf("field ${name} ${field} %zu %zu\\n", offsetof(struct ${name}, ${field}), sizeof(((struct ${name} *)0)->${field}));`)
      }
    }
    for (const name of constants) lines.push(`printf("const ${name} %llu\\n", (unsigned long long)(${name}));`)
    const source = `#include <stddef.h>\n#include <stdio.h>\n#include "krelay_abi.h"\nint main(void) {\n${lines.join('\n')}\nreturn 0;\n}\n`
    fs.writeFileSync(path.join(dir, 'layout.c'), source)
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-I', formatsDir, '-o', path.join(dir, 'layout'), path.join(dir, 'layout.c')])
    const out = execFileSync(path.join(dir, 'layout'), { encoding: 'utf8' })
    const layout: CLayout = { structs: new Map(), constants: new Map() }
    for (const line of out.trim().split('\n')) {
      const [kind, a, b, c, d] = line.split(' ')
      if (kind === 'struct') layout.structs.set(a!, { size: Number(b), fields: new Map() })
      else if (kind === 'field') layout.structs.get(a!)!.fields.set(b!, { offset: Number(c), size: Number(d) })
      else if (kind === 'const') layout.constants.set(a!, Number(b))
    }
    return layout
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const structs = headerStructs()
const constants = headerConstants().filter((name) => name !== '_KRELAY_ABI_H')
const c = compileAndRun(structs, constants)

test('the header parse found every struct and constant the compiler knows', () => {
  assert.deepEqual([...structs.keys()].sort(), ['krelay_gen_payload', 'krelay_record_hdr', 'krelay_subbuf_hdr'])
  assert.ok(constants.length >= 20, `only ${constants.length} constants found`)
  for (const [name, fields] of structs) {
    // Fields must tile the struct without padding: a field the parse missed would leave a hole.
    const s = c.structs.get(name)!
    const covered = fields.reduce((sum, f) => sum + s.fields.get(f)!.size, 0)
    assert.equal(covered, s.size, `${name}: fields cover ${covered} of ${s.size} bytes`)
  }
})

test('wire.ts has exactly the structs of krelay_abi.h', () => {
  assert.deepEqual(Object.keys(ABI_STRUCTS).sort(), [...c.structs.keys()].sort())
})

for (const [name, s] of c.structs) {
  test(`${name}: size and every field agree with wire.ts, both ways`, () => {
    const ts = ABI_STRUCTS[name as keyof typeof ABI_STRUCTS]
    assert.ok(ts, `wire.ts has no ${name}`)
    assert.equal(ts.size, s.size, `sizeof(struct ${name})`)
    const tsFields = ts.fields as Record<string, { offset: number, size: number }>
    for (const [field, where] of s.fields) {
      assert.ok(field in tsFields, `${name}.${field} is in the C header but not in wire.ts`)
      assert.deepEqual(tsFields[field], where, `${name}.${field} offset/size`)
    }
    for (const field of Object.keys(tsFields)) {
      assert.ok(s.fields.has(field), `${name}.${field} is in wire.ts but not in the C header`)
    }
  })
}

test('every constant agrees with wire.ts, both ways', () => {
  for (const [name, value] of c.constants) {
    assert.ok(name in ABI_CONSTANTS, `${name} is in the C header but not in wire.ts ABI_CONSTANTS`)
    assert.equal(ABI_CONSTANTS[name], value, name)
  }
  for (const name of Object.keys(ABI_CONSTANTS)) {
    assert.ok(c.constants.has(name), `${name} is in wire.ts ABI_CONSTANTS but not in the C header`)
  }
})
