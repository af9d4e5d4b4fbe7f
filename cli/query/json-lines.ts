// --json of one SELECT, fast: DuckDB builds each JSON line with the types written as
// values.ts jsonOf writes them, and JavaScript passes one string per row on (as
// csv-lines.ts does for CSV). Results with nested columns (lists, structs, maps, unions)
// are left to jsonOf.
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api'
import { lit } from '../../collector/archive/sql.ts'

const SAFE = '9007199254740991'
const NESTED = new Set([DuckDBTypeId.LIST, DuckDBTypeId.ARRAY, DuckDBTypeId.STRUCT, DuckDBTypeId.MAP, DuckDBTypeId.UNION, DuckDBTypeId.VARIANT])

/** The JSON of column `c` of type `t` as SQL (a JSON value), or null when DuckDB should not write it. */
function jsonExpr (c: string, t: DuckDBTypeId): string | null {
  switch (t) {
    case DuckDBTypeId.BOOLEAN: case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT: case DuckDBTypeId.UINTEGER: case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.DATE: case DuckDBTypeId.ENUM:
      return `to_json(${c})`
    case DuckDBTypeId.BIGINT: case DuckDBTypeId.UBIGINT: case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UHUGEINT:
      return `CASE WHEN ${c} BETWEEN -${SAFE} AND ${SAFE} THEN to_json(CAST(${c} AS BIGINT)) ELSE to_json(CAST(${c} AS VARCHAR)) END`
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE:
      // as JavaScript names them: NaN, Infinity, -Infinity
      return `CASE WHEN isfinite(${c}) THEN to_json(CAST(${c} AS DOUBLE)) WHEN isnan(${c}) THEN to_json('NaN') WHEN ${c} > 0 THEN to_json('Infinity') ELSE to_json('-Infinity') END`
    case DuckDBTypeId.DECIMAL:
      return `to_json(CAST(${c} AS DOUBLE))`
    case DuckDBTypeId.BLOB:
      return `to_json(lower(hex(${c})))`
    case DuckDBTypeId.TIMESTAMP_TZ:
      return `to_json(strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ'))`
    default:
      return null
  }
}

/**
 * The SQL of a JSON object per row of `select` (keys `names`, already unique), or null
 * when a column's type is one that jsonOf writes (nested, timestamps other than TIMESTAMPTZ, ...).
 */
export function jsonLinesSql (select: string, names: readonly string[], types: readonly DuckDBType[]): string | null {
  const cols = names.map((_, i) => `c${i}`)
  const parts: string[] = []
  for (const [i, t] of types.entries()) {
    if (NESTED.has(t.typeId)) return null
    const e = jsonExpr(cols[i]!, t.typeId)
    if (e === null) return null
    parts.push(`${lit(names[i]!)}, CASE WHEN ${cols[i]!} IS NULL THEN 'null'::JSON ELSE ${e} END`)
  }
  return `SELECT CAST(json_object(${parts.join(', ')}) AS VARCHAR) FROM (\n${select}\n) AS krelay_q(${cols.join(', ')})`
}
