/**
 * Parses a server's JSON answer. Python's json module can emit bare NaN / Infinity tokens, which
 * JSON.parse rejects; those are turned into the strings metricValueFromWire understands.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch (error) {
    const patched = quoteNonFiniteTokens(text)
    if (patched === text) throw error
    return JSON.parse(patched)
  }
}

function quoteNonFiniteTokens(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (inString) {
      out += ch
      if (ch === '\\') out += text[++i] ?? ''
      else if (ch === '"') inString = false
      continue
    }
    if (ch === '"') {
      inString = true
      out += ch
      continue
    }
    const rest = text.slice(i, i + 9)
    const token = rest.startsWith('-Infinity')
      ? '-Infinity'
      : rest.startsWith('Infinity')
        ? 'Infinity'
        : rest.startsWith('NaN')
          ? 'NaN'
          : undefined
    if (token !== undefined) {
      out += `"${token}"`
      i += token.length - 1
    } else {
      out += ch
    }
  }
  return out
}

/** Keeps the start of a non-JSON body (an HTML error page, a proxy's text) readable in one line. */
export function bodySnippet(text: string, max = 300): string {
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
  return plain.length > max ? `${plain.slice(0, max)}…` : plain
}
