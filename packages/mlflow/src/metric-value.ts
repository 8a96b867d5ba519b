/**
 * JSON has no NaN or Infinity, and JSON.stringify would silently turn them into null (which the server
 * would store as 0). We send them as the strings "NaN", "Infinity" and "-Infinity", which the server's
 * protobuf JSON parser accepts for double fields; finite values go as plain JSON numbers.
 */
export function metricValueToWire(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'Infinity'
  if (value === -Infinity) return '-Infinity'
  return value
}

/** Accepts what servers answer: numbers, or the protobuf strings for the non-finite values. */
export function metricValueFromWire(raw: unknown): number {
  if (typeof raw === 'number') return raw
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase()
    if (s === 'nan') return NaN
    if (s === 'infinity' || s === 'inf' || s === '+infinity') return Infinity
    if (s === '-infinity' || s === '-inf') return -Infinity
    const n = Number(raw)
    if (s !== '' && !Number.isNaN(n)) return n
  }
  throw new TypeError(`not a metric value: ${JSON.stringify(raw)}`)
}

/**
 * The FileStore writes values the way Python prints a float (MLflow reads them back with float()):
 * `nan`, `inf`, `-inf`, and `1.0` rather than `1` for whole numbers.
 */
export function metricValueToFile(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (value === Infinity) return 'inf'
  if (value === -Infinity) return '-inf'
  const text = String(value)
  return /[.e]/.test(text) ? text : `${text}.0`
}

export function metricValueFromFile(text: string): number {
  return metricValueFromWire(text)
}
