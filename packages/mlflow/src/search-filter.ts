// MLflow's search syntax (`tags.sha = 'abc' and metrics.auc > 0.8`), evaluated in memory by the FileStore.
// MLflow only joins clauses with AND; so do we.
import { invalidParameter } from './errors.js'

export type Entity = 'attribute' | 'metric' | 'param' | 'tag'

export interface Clause {
  entity: Entity
  key: string
  comparator: string
  value: string | number | (string | number)[]
}

/** What a clause is matched against; undefined where the record has no such key. */
export interface Searchable {
  attribute(key: string): string | number | undefined
  metric(key: string): number | undefined
  param(key: string): string | undefined
  tag(key: string): string | undefined
}

const ENTITIES: Record<string, Entity> = {
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
}

const TOKEN =
  /\s*(?:(`[^`]*`|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(!=|>=|<=|=|>|<|\(|\)|,)|(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?![\w.])|([\w.:/-]+))/iy

interface Token {
  kind: 'quoted' | 'op' | 'number' | 'word'
  text: string
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = []
  TOKEN.lastIndex = 0
  let index = 0
  while (index < filter.length) {
    if (filter.slice(index).trim() === '') break
    TOKEN.lastIndex = index
    const match = TOKEN.exec(filter)
    if (match === null)
      throw invalidParameter(`Invalid filter '${filter}': cannot read from '${filter.slice(index)}'`)
    index = TOKEN.lastIndex
    if (match[1] !== undefined) tokens.push({ kind: 'quoted', text: match[1] })
    else if (match[2] !== undefined) tokens.push({ kind: 'op', text: match[2] })
    else if (match[3] !== undefined) tokens.push({ kind: 'number', text: match[3] })
    else tokens.push({ kind: 'word', text: match[4]! })
  }
  return tokens
}

function unquote(text: string): string {
  const inner = text.slice(1, -1)
  return text.startsWith('`') ? inner : inner.replace(/\\(.)/g, '$1')
}

export function parseFilter(filter: string | undefined): Clause[] {
  if (filter === undefined || filter.trim() === '') return []
  const tokens = tokenize(filter)
  const clauses: Clause[] = []
  let i = 0
  const fail = (why: string): never => {
    throw invalidParameter(`Invalid filter '${filter}': ${why}`)
  }
  while (i < tokens.length) {
    // identifier: entity.key, entity.`key`, entity."key", or a bare attribute name
    const first = tokens[i++] ?? fail('expected a key')
    let entity: Entity = 'attribute'
    let key: string
    if (first.kind === 'word' && first.text.includes('.')) {
      const dot = first.text.indexOf('.')
      const prefix = first.text.slice(0, dot).toLowerCase()
      const rest = first.text.slice(dot + 1)
      entity =
        ENTITIES[prefix] ?? fail(`unknown entity '${prefix}' (use metrics., params., tags. or attributes.)`)
      if (rest === '') {
        const quoted = tokens[i++]
        if (quoted?.kind !== 'quoted') fail(`expected a key after '${first.text}'`)
        key = unquote(quoted!.text)
      } else key = rest
    } else if (first.kind === 'word') key = first.text
    else if (first.kind === 'quoted') key = unquote(first.text)
    else return fail(`expected a key, got '${first.text}'`)

    let comparatorToken = tokens[i++] ?? fail(`expected a comparator after '${key}'`)
    let comparator = comparatorToken.text.toUpperCase()
    if (comparator === 'NOT') {
      comparatorToken = tokens[i++] ?? fail('expected IN after NOT')
      comparator = `NOT ${comparatorToken.text.toUpperCase()}`
    }
    if (!['=', '!=', '>', '>=', '<', '<=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(comparator)) {
      fail(`unknown comparator '${comparatorToken.text}'`)
    }

    let value: Clause['value']
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (tokens[i++]?.text !== '(') fail(`expected '(' after ${comparator}`)
      const items: (string | number)[] = []
      for (;;) {
        const item = tokens[i++] ?? fail('unclosed list')
        if (item.kind === 'quoted') items.push(unquote(item.text))
        else if (item.kind === 'number') items.push(Number(item.text))
        else fail(`unexpected '${item.text}' in list`)
        const sep = tokens[i++] ?? fail('unclosed list')
        if (sep.text === ')') break
        if (sep.text !== ',') fail(`expected ',' or ')' in list, got '${sep.text}'`)
      }
      value = items
    } else {
      const token = tokens[i++] ?? fail(`expected a value after '${key} ${comparator}'`)
      if (token.kind === 'quoted') value = unquote(token.text)
      else if (token.kind === 'number') value = Number(token.text)
      else return fail(`expected a quoted string or a number, got '${token.text}'`)
    }
    clauses.push({ entity, key, comparator, value })

    if (i < tokens.length) {
      const joiner = tokens[i++]!
      if (joiner.text.toUpperCase() !== 'AND') fail(`only AND can join conditions, got '${joiner.text}'`)
    }
  }
  return clauses
}

function like(pattern: string, text: string, caseInsensitive: boolean): boolean {
  const source = pattern
    .split('')
    .map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's').test(text)
}

function compare(actual: string | number, comparator: string, expected: Clause['value']): boolean {
  if (Array.isArray(expected)) {
    const found = expected.some((e) => String(e) === String(actual))
    return comparator === 'IN' ? found : !found
  }
  if (comparator === 'LIKE' || comparator === 'ILIKE') {
    return like(String(expected), String(actual), comparator === 'ILIKE')
  }
  const numeric = typeof actual === 'number' || typeof expected === 'number'
  const a = numeric ? Number(actual) : actual
  const b = numeric ? Number(expected) : expected
  switch (comparator) {
    case '=':
      return a === b
    case '!=':
      return a !== b
    case '>':
      return a > b
    case '>=':
      return a >= b
    case '<':
      return a < b
    case '<=':
      return a <= b
  }
  return false
}

export function matchesFilter(record: Searchable, clauses: Clause[]): boolean {
  return clauses.every((clause) => {
    const actual = record[clause.entity](clause.key)
    return actual !== undefined && compare(actual, clause.comparator, clause.value)
  })
}

export interface OrderBy {
  entity: Entity
  key: string
  descending: boolean
}

export function parseOrderBy(orderBy: string[] | undefined): OrderBy[] {
  return (orderBy ?? []).map((item) => {
    const match = /^\s*(?:(\w+)\.)?(`[^`]+`|"[^"]+"|[\w.:/ -]+?)\s*(ASC|DESC)?\s*$/i.exec(item)
    if (match === null) throw invalidParameter(`Invalid order_by clause '${item}'`)
    const entity = match[1] === undefined ? 'attribute' : ENTITIES[match[1].toLowerCase()]
    if (entity === undefined) throw invalidParameter(`Invalid order_by clause '${item}'`)
    const rawKey = match[2]!
    const key = /^[`"]/.test(rawKey) ? rawKey.slice(1, -1) : rawKey
    return { entity, key, descending: match[3]?.toUpperCase() === 'DESC' }
  })
}

/** Missing values sort last whatever the direction, as MLflow does. */
export function compareBy(order: OrderBy[], a: Searchable, b: Searchable): number {
  for (const { entity, key, descending } of order) {
    const x = a[entity](key)
    const y = b[entity](key)
    if (x === y) continue
    if (x === undefined) return 1
    if (y === undefined) return -1
    const cmp = x < y ? -1 : x > y ? 1 : 0
    if (cmp !== 0) return descending ? -cmp : cmp
  }
  return 0
}
