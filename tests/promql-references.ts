/**
 * What a PromQL expression refers to: metric names and label names. Shared by tests/observability.test.ts and
 * tests/observability-live.test.ts to check the dashboard and the alert rules against what serve exports. A
 * small lexer rather than a full parser: it understands exactly the PromQL constructs (selectors, ranges,
 * offsets, aggregation and vector-matching clauses, Grafana variables) that the shipped files use, and the tests
 * feed it known expressions first so a lexer mistake shows up as a failure, not as a silently passing check.
 */

/** Words of PromQL that look like metric names but are not. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'atan2',
  'inf',
  'nan',
])
const CLAUSES = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']

export interface PromqlReferences {
  metrics: string[]
  /** Labels named in matchers ({label="..."}) and in by/without/on/ignoring/group_* clauses. */
  labels: string[]
}

const unique = (values: Iterable<string>): string[] => [...new Set(values)].sort()

/** Metric and label names an expression refers to. */
export function promqlReferences(expr: string): PromqlReferences {
  const labels: string[] = []
  // String literals first: their contents ("5..", "$job", "/v2/health/.*") are values, never names.
  let text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
  // Label matchers: keep the label names, drop the braces.
  text = text.replace(/\{([^}]*)\}/g, (_, body: string) => {
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(m[1]!)
    return ' '
  })
  // Grouping and vector-matching clauses: label lists, not metrics.
  const clause = new RegExp(`\\b(${CLAUSES.join('|')})\\s*\\(([^)]*)\\)`, 'g')
  text = text.replace(clause, (_, _word: string, list: string) => {
    for (const name of list.split(',').map((s) => s.trim())) if (name) labels.push(name)
    return ' '
  })
  // Ranges and subqueries ([5m], [$__rate_interval], [1h:1m]), offsets, Grafana variables, numbers.
  text = text
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[0-9a-zA-Z_$]+/g, ' ')
    .replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?/g, ' ')
    .replace(/(?<![a-zA-Z_:])[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?(?![a-zA-Z_:0-9])/gi, ' ')
  const metrics: string[] = []
  for (const m of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m
    if (call) continue // a function or aggregation: sum(, rate(, histogram_quantile(
    if (KEYWORDS.has(name!.toLowerCase())) continue
    metrics.push(name!)
  }
  return { metrics: unique(metrics), labels: unique(labels) }
}

/** A Grafana `label_values(selector, label)` variable query, split into its selector and label. */
export function labelValuesQuery(query: string): { selector: string; label: string } | undefined {
  const m = /^\s*label_values\(\s*(.*?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(query)
  return m ? { selector: m[1]!, label: m[2]! } : undefined
}

/** Labels a Grafana legend or a Prometheus alert template reads: {{label}} and {{ $labels.label }}. */
export function templateLabels(template: string): string[] {
  return unique(
    [...template.matchAll(/\{\{\s*(?:\$labels\.)?([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:\|[^}]*)?\}\}/g)]
      .map((m) => m[1]!)
      .filter((name) => name !== 'value'),
  )
}

export interface DashboardQuery {
  where: string
  expr: string
  /** Labels the query's legend or title prints. */
  printed: string[]
}

interface DashboardLike {
  panels?: Array<{
    title?: string
    panels?: unknown[]
    targets?: Array<{ expr?: string; legendFormat?: string; refId?: string }>
  }>
  annotations?: { list?: Array<{ name?: string; expr?: string; titleFormat?: string; tagKeys?: string }> }
  templating?: { list?: Array<{ name?: string; query?: unknown; definition?: string }> }
}

/** Every PromQL expression of a dashboard: panel targets, Prometheus annotations and label_values variables. */
export function dashboardQueries(dashboard: DashboardLike): DashboardQuery[] {
  const queries: DashboardQuery[] = []
  for (const panel of dashboard.panels ?? []) {
    for (const target of panel.targets ?? []) {
      if (target.expr === undefined) continue
      queries.push({
        where: `panel "${panel.title}" target ${target.refId}`,
        expr: target.expr,
        printed: templateLabels(target.legendFormat ?? ''),
      })
    }
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr === undefined) continue
    const tagKeys = (annotation.tagKeys ?? '').split(',').filter(Boolean)
    queries.push({
      where: `annotation "${annotation.name}"`,
      expr: annotation.expr,
      printed: unique([...templateLabels(annotation.titleFormat ?? ''), ...tagKeys]),
    })
  }
  for (const variable of dashboard.templating?.list ?? []) {
    const query =
      typeof variable.query === 'object' ? (variable.query as { query?: string }).query : undefined
    const parsed = labelValuesQuery(query ?? variable.definition ?? '')
    if (parsed) {
      queries.push({ where: `variable $${variable.name}`, expr: parsed.selector, printed: [parsed.label] })
    }
  }
  return queries
}

/** The exported series names of a Prometheus text exposition (histograms as _bucket, _sum and _count). */
export function exposedMetricNames(exposition: string): string[] {
  const names: string[] = []
  for (const m of exposition.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
    const [, name, type] = m
    if (type === 'histogram') names.push(`${name}_bucket`, `${name}_sum`, `${name}_count`)
    else if (type === 'summary') names.push(name!, `${name}_sum`, `${name}_count`)
    else names.push(name!)
  }
  return unique(names)
}
