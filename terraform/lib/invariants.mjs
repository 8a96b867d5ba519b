// The security invariants every module must keep, checked on the parsed HCL (see hcl.mjs). Each check returns
// violations as strings naming the module folder, file and block, so a failing test says what to fix.
import { basename } from 'node:path'
import { unwrap } from './hcl.mjs'

const ADMIN_PORTS = [22, 6443]
const OPEN = ['0.0.0.0/0', '::/0']
const blocks = (module, kind, type) =>
  Object.entries(module[kind]?.[type] ?? {}).flatMap(([name, body]) =>
    asList(body).map((b) => ({ name, ...b })),
  )
const asList = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value])

function forEachVariable(rule) {
  const match = /var\.([\w-]+)/.exec(String(rule.for_each ?? ''))
  return match?.[1]
}

/** No ingress open to the world on SSH or the Kubernetes API, literally or through a variable's default. */
export function openAdminIngress(dir, module) {
  const violations = []
  for (const rule of blocks(module, 'resource', 'aws_vpc_security_group_ingress_rule')) {
    const from = Number(rule.from_port)
    const to = Number(rule.to_port)
    // All protocols cover every port; a port given by a variable (the MLflow NodePort) is not an admin port.
    const ports = rule.ip_protocol === '-1' ? ADMIN_PORTS : ADMIN_PORTS.filter((p) => from <= p && p <= to)
    if (ports.length === 0) continue
    const variable = forEachVariable(rule)
    const literal =
      typeof rule.cidr_ipv4 === 'string' && !rule.cidr_ipv4.includes('${') ? [rule.cidr_ipv4] : []
    const defaults = variable ? asList(module.variable?.[variable]?.[0]?.default) : []
    const open = [...literal, ...defaults].filter((c) => OPEN.includes(c))
    if (open.length > 0) {
      violations.push(
        `${basename(dir)}/${rule.file}: aws_vpc_security_group_ingress_rule.${rule.name} opens port ${ports.join(', ')} to ${open.join(', ')}${variable && defaults.length ? ` (default of var.${variable})` : ''}`,
      )
    }
  }
  for (const group of blocks(module, 'resource', 'aws_security_group')) {
    for (const ingress of asList(group.ingress)) {
      const open = asList(ingress.cidr_blocks).filter((c) => OPEN.includes(c))
      if (open.length > 0 && ADMIN_PORTS.some((p) => ingress.from_port <= p && p <= ingress.to_port)) {
        violations.push(
          `${basename(dir)}/${group.file}: aws_security_group.${group.name} has an inline ingress open to the world on an admin port`,
        )
      }
    }
  }
  return violations
}

/** Every bucket has encryption, all four public-access blocks and a TLS-only policy attached. */
export function unprotectedBuckets(dir, module) {
  const violations = []
  const refers = (block, bucket) =>
    [block.bucket, block.for_each].some((v) => String(v ?? '').includes(`aws_s3_bucket.${bucket}`))
  for (const bucket of blocks(module, 'resource', 'aws_s3_bucket')) {
    const where = `${basename(dir)}/${bucket.file}: aws_s3_bucket.${bucket.name}`
    const sse = blocks(module, 'resource', 'aws_s3_bucket_server_side_encryption_configuration').find((b) =>
      refers(b, bucket.name),
    )
    if (!sse) violations.push(`${where} has no server-side encryption configuration`)
    const pab = blocks(module, 'resource', 'aws_s3_bucket_public_access_block').find((b) =>
      refers(b, bucket.name),
    )
    const flags = [
      'block_public_acls',
      'block_public_policy',
      'ignore_public_acls',
      'restrict_public_buckets',
    ]
    if (!pab) violations.push(`${where} has no public access block`)
    else {
      const off = flags.filter((f) => pab[f] !== true)
      if (off.length > 0)
        violations.push(`${where}: public access block does not set ${off.join(', ')} = true`)
    }
    const policy = blocks(module, 'resource', 'aws_s3_bucket_policy').find((b) => refers(b, bucket.name))
    const tlsOnly = blocks(module, 'data', 'aws_iam_policy_document').some((doc) =>
      asList(doc.statement).some(
        (s) =>
          s.effect === 'Deny' &&
          asList(s.condition).some(
            (c) => c.variable === 'aws:SecureTransport' && asList(c.values).includes('false'),
          ),
      ),
    )
    if (!policy || !tlsOnly) violations.push(`${where} has no bucket policy denying requests without TLS`)
  }
  return violations
}

/** Every instance requires IMDSv2 and encrypts its root volume. */
export function weakInstances(dir, module) {
  const violations = []
  for (const instance of blocks(module, 'resource', 'aws_instance')) {
    const where = `${basename(dir)}/${instance.file}: aws_instance.${instance.name}`
    const metadata = asList(instance.metadata_options)[0]
    if (metadata?.http_tokens !== 'required')
      violations.push(`${where} does not require IMDSv2 (metadata_options.http_tokens = "required")`)
    const root = asList(instance.root_block_device)[0]
    if (root?.encrypted !== true) violations.push(`${where} has no encrypted root volume`)
  }
  return violations
}

/** A web-identity trust must pin both the audience and the subject, with exact values. */
export function looseOidcTrust(dir, module) {
  const violations = []
  for (const doc of blocks(module, 'data', 'aws_iam_policy_document')) {
    for (const statement of asList(doc.statement)) {
      if (!asList(statement.actions).includes('sts:AssumeRoleWithWebIdentity')) continue
      const where = `${basename(dir)}/${doc.file}: data.aws_iam_policy_document.${doc.name}`
      const conditions = asList(statement.condition)
      const on = (suffix) => conditions.find((c) => String(c.variable).endsWith(suffix))
      const aud = on(':aud')
      const sub = on(':sub')
      if (!aud) violations.push(`${where} trusts any audience (no condition on :aud)`)
      if (!sub) violations.push(`${where} trusts any repository (no condition on :sub)`)
      else if (sub.test !== 'StringEquals' || String(sub.values).includes('*')) {
        violations.push(
          `${where} matches :sub with ${sub.test} ${JSON.stringify(sub.values)}; use StringEquals on exact subjects`,
        )
      }
    }
  }
  return violations
}

/** No Allow statement grants every action, or a whole service's actions, on every resource. */
export function wildcardGrants(dir, module) {
  const violations = []
  for (const doc of blocks(module, 'data', 'aws_iam_policy_document')) {
    for (const statement of asList(doc.statement)) {
      if ((statement.effect ?? 'Allow') !== 'Allow') continue
      const broadActions = asList(statement.actions).filter((a) => a === '*' || /:\*$/.test(a))
      const everything = asList(statement.resources).includes('*')
      if (broadActions.length > 0 && everything) {
        violations.push(
          `${basename(dir)}/${doc.file}: data.aws_iam_policy_document.${doc.name} allows ${broadActions.join(', ')} on *`,
        )
      }
    }
  }
  return violations
}

/** Every variable has a type and a description; every output a description. */
export function undocumented(dir, module) {
  const violations = []
  for (const [name, [v]] of Object.entries(module.variable ?? {})) {
    if (!v.type) violations.push(`${basename(dir)}/${v.file}: variable "${name}" has no type`)
    if (!v.description) violations.push(`${basename(dir)}/${v.file}: variable "${name}" has no description`)
  }
  for (const [name, [o]] of Object.entries(module.output ?? {})) {
    if (!o.description) violations.push(`${basename(dir)}/${o.file}: output "${name}" has no description`)
  }
  return violations
}

export const INVARIANTS = {
  openAdminIngress,
  unprotectedBuckets,
  weakInstances,
  looseOidcTrust,
  wildcardGrants,
  undocumented,
}

export { unwrap }
