variable "region" {
  type        = string
  description = "AWS region."
  default     = "us-east-1"
  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-\\d$", var.region))
    error_message = "region must look like us-east-1."
  }
}

variable "name" {
  type        = string
  description = "Name prefix; bucket names derive from it, so make it unique to your account (e.g. acme-mlops-dev)."
  default     = "mlops-dev"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "github_repository" {
  type        = string
  description = "The repository whose workflows deploy (owner/name)."
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_environments" {
  type        = list(string)
  description = "GitHub environments allowed to assume the deploy role besides the main branch."
  default     = ["production"]
}

variable "create_oidc_provider" {
  type        = bool
  description = "Create the GitHub OIDC provider (false if the account already has one)."
  default     = true
}

variable "admin_cidrs" {
  type        = list(string)
  description = "Your network's CIDRs: allowed to the Kubernetes API and MLflow. Empty keeps both closed."
  default     = []
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of the k3s node."
  default     = "t3.medium"
}
