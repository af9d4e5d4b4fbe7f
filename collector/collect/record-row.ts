// Fills the archive's reusable RecordRow from a record in a merge chunk. The
// chunk's Buffer (for strings and payload views) is made once per chunk, and
// comm strings are cached per CPU by their 16 bytes: a task logs many records
// under one name, so the cache saves a string per record.
import { COMM_LEN, KIND_TEXT } from '../../formats/wire.ts'
import {
  recordCommOffset, recordCtx, recordKind, recordLen, recordLevel, recordPad, recordPayloadOffset, recordPid, recordSeq,
  recordTsHi, recordTsLo, recordType,
} from '../../formats/record.ts'
import type { RecordRow } from '../archive/index.ts'

const LE = true
const COMM_WORDS = COMM_LEN / 4

interface CommCache { words: Uint32Array, text: string }

export class RecordRowFiller {
  readonly row: RecordRow = {
    tsHi: 0, tsLo: 0, cpu: 0, seq: 0, level: 0, type: 0, kind: 0, ctx: 0, pid: 0, comm: '', msg: null, data: null,
  }

  private view: DataView | undefined
  private buf: Buffer = Buffer.alloc(0)
  private readonly comms: CommCache[] = []

  fill (view: DataView, off: number, cpu: number): RecordRow {
    if (view !== this.view) {
      this.view = view
      this.buf = Buffer.from(view.buffer, view.byteOffset, view.byteLength)
    }
    const row = this.row
    const len = recordLen(view, off)
    row.tsLo = recordTsLo(view, off)
    row.tsHi = recordTsHi(view, off)
    row.cpu = cpu
    row.seq = recordSeq(view, off)
    row.level = recordLevel(view, off)
    row.type = recordType(view, off)
    row.kind = recordKind(view, off)
    row.ctx = recordCtx(view, off)
    row.pid = recordPid(view, off) | 0
    row.comm = this.comm(view, recordCommOffset(off), cpu)
    const start = recordPayloadOffset(off)
    const end = off + len - recordPad(view, off)
    if (row.kind === KIND_TEXT) {
      row.msg = this.buf.toString('utf8', start, end)
      row.data = null
    } else {
      row.msg = null
      row.data = this.buf.subarray(start, end)
    }
    return row
  }

  private comm (view: DataView, at: number, cpu: number): string {
    let c = this.comms[cpu]
    if (c !== undefined) {
      let same = true
      for (let i = 0; i < COMM_WORDS; i++) {
        if (c.words[i] !== view.getUint32(at + i * 4, LE)) { same = false; break }
      }
      if (same) return c.text
    } else {
      c = this.comms[cpu] = { words: new Uint32Array(COMM_WORDS), text: '' }
    }
    for (let i = 0; i < COMM_WORDS; i++) c.words[i] = view.getUint32(at + i * 4, LE)
    let end = at
    while (end < at + COMM_LEN && this.buf[end] !== 0) end++
    c.text = this.buf.toString('utf8', at, end)
    return c.text
  }
}
