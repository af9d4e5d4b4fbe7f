// The lines (or JSON lines) of history items, as the live stream's frames print.
import type { HistoryItem } from './history.ts'
import { lossJson, recordJson } from './json.ts'
import { lossLine, recordLine, type LineOptions } from './lines.ts'

export function historyLines (items: readonly HistoryItem[], json: boolean, opts: LineOptions): string[] {
  return items.map(h => {
    if (h.loss !== undefined) return json ? lossJson(h.loss, h.ch) : lossLine(h.loss, h.ch, opts)
    return json ? recordJson(h.view, 0, h.cpu, h.ch) : recordLine(h.view, 0, h.cpu, h.ch, opts)
  })
}
