variable "name" {
  type        = string
  description = "Name prefix for every resource (e.g. mlops-dev)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "cidr_block" {
  type        = string
  description = "IPv4 range of the VPC."
  default     = "10.42.0.0/16"
  validation {
    condition     = can(cidrhost(var.cidr_block, 0))
    error_message = "cidr_block must be an IPv4 CIDR such as 10.42.0.0/16."
  }
}

variable "public_subnet_cidr" {
  type        = string
  description = "IPv4 range of the public subnet the k3s node runs in; must lie inside cidr_block."
  default     = "10.42.1.0/24"
  validation {
    condition     = can(cidrhost(var.public_subnet_cidr, 0))
    error_message = "public_subnet_cidr must be an IPv4 CIDR such as 10.42.1.0/24."
  }
}

variable "availability_zone" {
  type        = string
  description = "Availability zone of the subnet; null lets AWS choose."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
