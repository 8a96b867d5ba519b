variable "name" {
  type        = string
  description = "Name prefix of the buckets: <name>-dvc and <name>-mlflow-artifacts (bucket names are global: include your account or org)."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 lowercase letters, digits or dashes."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for SSE-KMS; null (the default) uses SSE-S3 (AES256), which costs nothing extra."
  default     = null
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days an overwritten or deleted object version is kept before it expires."
  default     = 30
  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let terraform destroy non-empty buckets (for throwaway environments only)."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
