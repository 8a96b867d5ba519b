# Each output is a repository variable of the same name (upper case) that the workflows read:
# gh variable set AWS_ROLE_ARN --body "$(terraform output -raw aws_role_arn)", and so on.

output "aws_region" {
  description = "AWS_REGION: region of everything below."
  value       = var.region
}

output "aws_role_arn" {
  description = "AWS_ROLE_ARN: role-to-assume for aws-actions/configure-aws-credentials."
  value       = module.github_oidc.role_arn
}

output "ecr_repository" {
  description = "ECR_REPOSITORY: repository URL for the ecr-push action."
  value       = module.ecr.repository_url
}

output "dvc_remote_url" {
  description = "DVC_REMOTE_URL: the DVC remote (dvc remote add -d storage <url>)."
  value       = module.buckets.dvc_remote_url
}

output "mlflow_artifact_root" {
  description = "MLFLOW_ARTIFACT_ROOT: where the tracking server stores artifacts."
  value       = module.buckets.mlflow_artifact_root
}

output "mlflow_tracking_uri" {
  description = "MLFLOW_TRACKING_URI: the tracking server (reachable from admin_cidrs)."
  value       = "http://${module.k3s_node.public_ip}:${module.mlflow.node_port}"
}

output "kubeconfig_parameter" {
  description = "KUBECONFIG_PARAMETER: SSM parameter holding the kubeconfig the deploy job reads."
  value       = module.k3s_node.kubeconfig_parameter_name
}

output "service_host" {
  description = "SERVICE_HOST: public address of the node's ingress, where the model service answers."
  value       = module.k3s_node.public_ip
}
