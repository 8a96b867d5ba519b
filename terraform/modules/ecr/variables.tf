variable "repository_name" {
  type        = string
  description = "ECR repository for the model-server images."
  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "repository_name must be lowercase, e.g. mlops/model-server."
  }
}

variable "keep_images" {
  type        = number
  description = "Images kept; older ones expire (deploys pin digests, so keep enough to roll back)."
  default     = 30
  validation {
    condition     = var.keep_images >= 2
    error_message = "keep_images must be at least 2 so a rollback target survives."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for image encryption; null uses AES256."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
