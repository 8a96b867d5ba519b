variable "name" {
  type        = string
  description = "Name prefix (the database password parameter is /<name>/mlflow/db-password)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "artifact_root" {
  type        = string
  description = "S3 artifact root, e.g. the buckets module's mlflow_artifact_root (s3://<bucket>/mlflow)."
  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]+(/.*)?$", var.artifact_root))
    error_message = "artifact_root must be an s3:// URL."
  }
}

variable "mlflow_image" {
  type        = string
  description = "MLflow server image; pin a version (or a digest) so upgrades are deliberate."
  default     = "ghcr.io/mlflow/mlflow:v2.17.2"
}

variable "postgres_image" {
  type        = string
  description = "Postgres image for the backend store."
  default     = "postgres:16.4-alpine"
}

variable "node_port" {
  type        = number
  description = "NodePort of the tracking server (open it with the k3s-node module's mlflow_cidrs)."
  default     = 30500
  validation {
    condition     = var.node_port >= 30000 && var.node_port <= 32767
    error_message = "node_port must be in the Kubernetes NodePort range 30000-32767."
  }
}

variable "storage_gb" {
  type        = number
  description = "Size of the Postgres volume (k3s local-path) in GiB."
  default     = 5
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
