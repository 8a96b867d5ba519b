output "instance_id" {
  description = "EC2 instance ID of the node (for SSM Session Manager)."
  value       = aws_instance.node.id
}

output "public_ip" {
  description = "Public IPv4 address of the node (ingress, and the API when api_cidrs allows)."
  value       = aws_instance.node.public_ip
}

output "security_group_id" {
  description = "Security group of the node."
  value       = aws_security_group.node.id
}

output "kubeconfig_parameter_name" {
  description = "SSM parameter holding the kubeconfig (SecureString)."
  value       = var.kubeconfig_parameter_name
}

output "kubeconfig_parameter_arn" {
  description = "ARN of that parameter, for the CI role's read permission."
  value       = local.kubeconfig_parameter_arn
}

output "role_name" {
  description = "IAM role of the node, to attach further policies."
  value       = aws_iam_role.node.name
}
