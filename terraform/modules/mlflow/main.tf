# MLflow on the k3s node itself: Postgres as the backend store (a StatefulSet on k3s's local-path volumes) and the
# S3 bucket as artifact root, reached with the node's instance role. No RDS: this is the small-footprint option;
# point MLFLOW_TRACKING_URI at a managed server instead and leave this module out if you have one.

data "aws_region" "current" {}

resource "random_password" "db" {
  length  = 32
  special = false
}

# The password lives in SSM, never in user data or the manifest; the node reads it at boot into a Secret.
resource "aws_ssm_parameter" "db_password" {
  name  = "/${var.name}/mlflow/db-password"
  type  = "SecureString"
  value = random_password.db.result
  tags  = var.tags
}

locals {
  manifest = templatefile("${path.module}/mlflow.yaml.tftpl", {
    mlflow_image   = var.mlflow_image
    postgres_image = var.postgres_image
    artifact_root  = var.artifact_root
    node_port      = var.node_port
    storage_gb     = var.storage_gb
    region         = data.aws_region.current.name
  })
  boot_commands = [
    "k3s kubectl create namespace mlflow --dry-run=client -o yaml | k3s kubectl apply -f -",
    "k3s kubectl -n mlflow create secret generic mlflow-db --from-literal=password=\"$(aws ssm get-parameter --region ${data.aws_region.current.name} --name ${aws_ssm_parameter.db_password.name} --with-decryption --query Parameter.Value --output text)\" --dry-run=client -o yaml | k3s kubectl apply -f -",
  ]
}
