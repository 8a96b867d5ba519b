import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
// @ts-expect-error plain ESM helpers shared with scripts/terraform-docs.mjs, no type declarations
import { loadModule, moduleDirs } from '../terraform/lib/hcl.mjs'
// @ts-expect-error see above
import { INVARIANTS } from '../terraform/lib/invariants.mjs'
// @ts-expect-error see above
import { updatedReadme } from '../scripts/terraform-docs.mjs'

/**
 * No terraform binary can run here, so the modules are checked offline: every file parses (hcl2json, the parser
 * CDKTF uses) and the security invariants hold on the parsed result. Each invariant is also run on a copy with
 * exactly that invariant broken, to prove the check can fail.
 */
type Check = (dir: string, module: unknown) => string[]
const checks = INVARIANTS as Record<string, Check>
const terraform = resolve(import.meta.dirname, '../terraform')
const dirs: string[] = moduleDirs(terraform)

async function violations(root: string, check: string): Promise<string[]> {
  const found: string[] = []
  for (const dir of moduleDirs(root) as string[]) found.push(...checks[check]!(dir, await loadModule(dir)))
  return found
}

describe('terraform modules', () => {
  test('the modules and the dev environment are all there', () => {
    expect(dirs.map((d) => d.slice(terraform.length + 1))).toEqual([
      'envs/dev',
      'modules/buckets',
      'modules/ecr',
      'modules/github-oidc',
      'modules/k3s-node',
      'modules/mlflow',
      'modules/network',
    ])
  })

  test.each(Object.keys(checks))('%s: no violation in the modules', async (check) => {
    expect(await violations(terraform, check)).toEqual([])
  })

  test.each(dirs.map((d) => [d.slice(terraform.length + 1), d]))(
    '%s: README tables match variables.tf and outputs.tf',
    async (_, dir) => {
      const { text, updated } = await updatedReadme(dir)
      expect(text).toBe(updated)
    },
  )

  test('a file that does not parse is named', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'tf-parse-'))
    await writeFile(join(broken, 'main.tf'), 'resource "aws_vpc" "x" {\n  cidr_block = \n')
    await expect(loadModule(broken)).rejects.toThrow(`${join(broken, 'main.tf')} does not parse`)
    await rm(broken, { recursive: true, force: true })
  })
})

/** Each row: the check, the file to edit, the text to replace, its replacement, and the violation expected. */
const BREAKAGES: Array<[string, string, string | RegExp, string, RegExp]> = [
  [
    'openAdminIngress',
    'modules/k3s-node/variables.tf',
    /(variable "ssh_cidrs" \{[\s\S]*?default\s+=\s+)\[\]/,
    '$1["0.0.0.0/0"]',
    /aws_vpc_security_group_ingress_rule\.ssh opens port 22 to 0\.0\.0\.0\/0 \(default of var\.ssh_cidrs\)/,
  ],
  [
    'openAdminIngress',
    'modules/k3s-node/main.tf',
    /(resource "aws_vpc_security_group_ingress_rule" "kube_api" \{[\s\S]*?)cidr_ipv4\s+=\s+each\.value/,
    '$1cidr_ipv4 = "0.0.0.0/0"',
    /kube_api opens port 6443 to 0\.0\.0\.0\/0/,
  ],
  [
    'unprotectedBuckets',
    'modules/buckets/main.tf',
    'block_public_policy     = true',
    'block_public_policy     = false',
    /aws_s3_bucket\.this: public access block does not set block_public_policy = true/,
  ],
  [
    'unprotectedBuckets',
    'modules/buckets/main.tf',
    /resource "aws_s3_bucket_server_side_encryption_configuration" "this" \{[\s\S]*?\n\}\n/,
    '',
    /aws_s3_bucket\.this has no server-side encryption configuration/,
  ],
  [
    'unprotectedBuckets',
    'modules/buckets/main.tf',
    'variable = "aws:SecureTransport"',
    'variable = "aws:SourceIp"',
    /aws_s3_bucket\.this has no bucket policy denying requests without TLS/,
  ],
  [
    'weakInstances',
    'modules/k3s-node/main.tf',
    'http_tokens                 = "required"',
    'http_tokens                 = "optional"',
    /aws_instance\.node does not require IMDSv2/,
  ],
  [
    'weakInstances',
    'modules/k3s-node/main.tf',
    'encrypted             = true',
    'encrypted             = false',
    /aws_instance\.node has no encrypted root volume/,
  ],
  [
    'looseOidcTrust',
    'modules/github-oidc/main.tf',
    'variable = "${local.issuer}:aud"',
    'variable = "${local.issuer}:azp"',
    /data\.aws_iam_policy_document\.trust trusts any audience/,
  ],
  [
    'looseOidcTrust',
    'modules/github-oidc/main.tf',
    /test\s+=\s+"StringEquals"(\s+variable\s+=\s+"\$\{local\.issuer\}:sub")/,
    'test     = "StringLike"$1',
    /matches :sub with StringLike/,
  ],
  [
    'wildcardGrants',
    'modules/github-oidc/main.tf',
    'actions   = ["ecr:GetAuthorizationToken"]',
    'actions   = ["ecr:*"]',
    /data\.aws_iam_policy_document\.permissions allows ecr:\* on \*/,
  ],
  [
    'undocumented',
    'modules/ecr/variables.tf',
    /(variable "keep_images" \{\n\s+type\s+=\s+number\n)\s+description\s+=\s+"[^"]*"\n/,
    '$1',
    /ecr\/variables\.tf: variable "keep_images" has no description/,
  ],
]

describe('each invariant fails when broken in a copy', () => {
  test.each(BREAKAGES)('%s: %s', async (check, file, from, to, expected) => {
    const copy = await mkdtemp(join(tmpdir(), 'tf-broken-'))
    try {
      await cp(terraform, copy, { recursive: true })
      const path = join(copy, file)
      const text = await readFile(path, 'utf8')
      const broken = text.replace(from, to)
      expect(broken).not.toBe(text)
      await writeFile(path, broken)
      const found = await violations(copy, check)
      expect(found).toHaveLength(1)
      expect(found[0]).toMatch(expected)
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })

  test('a README whose table no longer matches its variables is caught', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'tf-readme-'))
    try {
      await cp(join(terraform, 'modules/ecr'), copy, { recursive: true })
      const variables = await readFile(join(copy, 'variables.tf'), 'utf8')
      await writeFile(
        join(copy, 'variables.tf'),
        variables +
          '\nvariable "scan_filter" {\n  type        = string\n  description = "new"\n  default     = "x"\n}\n',
      )
      const { text, updated } = await updatedReadme(copy)
      expect(updated).not.toBe(text)
      expect(updated).toContain('| `scan_filter` | `string` | `"x"` | new |')
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })
})
