output "manifest" {
  description = "Kubernetes manifest of MLflow and Postgres; pass it to the k3s-node module's manifests."
  value       = local.manifest
}

output "boot_commands" {
  description = "Commands creating the database Secret from SSM at first boot; pass them to the k3s-node module's boot_commands."
  value       = local.boot_commands
}

output "db_password_parameter_arn" {
  description = "SSM parameter of the database password, which the node must be allowed to read."
  value       = aws_ssm_parameter.db_password.arn
}

output "node_port" {
  description = "NodePort of the tracking server."
  value       = var.node_port
}
