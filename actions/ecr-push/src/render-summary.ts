import { escapeMarkdown, formatAmount, markdownTable } from '@mlops/kit'
import { mermaidPie } from '@mlops/report'
import type { PublishResult } from './publish.js'

// markdownTable escapes every cell, so cells are plain text.
const short = (digest: string) => `${digest.slice(0, 19)}…`

export function renderPushSummary(result: PublishResult): string {
  const where = result.registry ? `${result.registry}/${result.repository}` : `OCI layout ${result.layoutDir}`
  const out = [`## ecr-push: ${escapeMarkdown(where)}`, '']
  out.push(
    markdownTable(
      ['', 'value'],
      [
        ['Image', result.image],
        ['Digest', result.digest],
        ['Tags', result.tags.join(', ')],
        ['Mode', result.mode],
        ['Platforms', result.platforms.join(', ') || 'default'],
        ...(result.base ? [['Base image', result.base]] : []),
        ...(result.repositoryCreated !== undefined
          ? [['Repository', result.repositoryCreated ? 'created' : 'existed']]
          : []),
        ...(result.layoutDir && result.registry ? [['OCI layout', result.layoutDir]] : []),
      ],
    ),
    '',
  )
  if (result.layers.length > 0) {
    const total = result.layers.reduce((sum, l) => sum + l.size, 0)
    out.push('### Layers', '')
    out.push(
      markdownTable(
        ['layer', 'kind', 'size', 'share', 'push'],
        result.layers.map((l) => [
          short(l.digest),
          l.kind,
          formatAmount(l.size, 'bytes'),
          total > 0 ? `${((100 * l.size) / total).toFixed(1)}%` : '',
          l.result || '—',
        ]),
        [undefined, undefined, 'right', 'right', undefined],
      ),
      '',
    )
    const model = result.layers.filter((l) => l.kind === 'model layer').reduce((s, l) => s + l.size, 0)
    if (model > 0) {
      out.push(
        mermaidPie('Compressed size', [
          { label: 'base image', value: total - model },
          { label: 'model bundle', value: model },
        ]),
        '',
      )
    }
  }
  if (result.scan) {
    out.push('### Vulnerability scan', '')
    const counts = Object.entries(result.scan.counts)
    out.push(
      `Status **${result.scan.status}**${result.gate ? ` — ${result.gate.passed ? 'passed' : `**failed**: ${result.gate.reason}`}` : ''}`,
      '',
    )
    if (counts.length > 0)
      out.push(
        markdownTable(
          ['severity', 'findings'],
          counts.map(([s, n]) => [s, n ?? 0]),
        ),
        '',
      )
    if (result.scan.top.length > 0) {
      out.push(
        markdownTable(
          ['finding', 'severity', 'link'],
          result.scan.top.map((f) => [f.name, f.severity, f.uri ?? '']),
        ),
        '',
      )
    }
  }
  out.push(
    '### Labels',
    '',
    markdownTable(
      ['label', 'value'],
      Object.entries(result.labels).map(([k, v]) => [k, v]),
    ),
  )
  return out.join('\n') + '\n'
}
