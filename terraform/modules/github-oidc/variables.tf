variable "name" {
  type        = string
  description = "Name of the IAM role GitHub Actions assumes."
  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (1-64 characters)."
  }
}

variable "repository" {
  type        = string
  description = "GitHub repository allowed to assume the role, as owner/name."
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.repository))
    error_message = "repository must be owner/name, without wildcards."
  }
}

variable "branches" {
  type        = list(string)
  description = "Branches whose workflows may assume the role (refs/heads/<branch>)."
  default     = ["main"]
  validation {
    condition     = alltrue([for b in var.branches : !can(regex("\\*", b))])
    error_message = "branches must be exact names: a wildcard would let any branch push a release."
  }
}

variable "environments" {
  type        = list(string)
  description = "GitHub environments whose jobs may assume the role (add protection rules to them)."
  default     = []
  validation {
    condition     = alltrue([for e in var.environments : !can(regex("\\*", e))])
    error_message = "environments must be exact names."
  }
}

variable "create_provider" {
  type        = bool
  description = "Create the GitHub OIDC provider; false when the account already has one (only one may exist)."
  default     = true
}

variable "ecr_repository_arn" {
  type        = string
  description = "ECR repository the role may push to."
}

variable "bucket_arns" {
  type        = list(string)
  description = "S3 buckets (DVC data, MLflow artifacts) the role may read and write."
  default     = []
}

variable "kubeconfig_parameter_arn" {
  type        = string
  description = "SSM parameter with the cluster kubeconfig, which the role may read; null for none."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
