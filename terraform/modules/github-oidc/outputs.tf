output "role_arn" {
  description = "Role for aws-actions/configure-aws-credentials (role-to-assume)."
  value       = aws_iam_role.github.arn
}

output "subjects" {
  description = "The token subjects the role trusts."
  value       = local.subjects
}
