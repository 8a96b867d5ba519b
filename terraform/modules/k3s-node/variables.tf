variable "name" {
  type        = string
  description = "Name prefix for every resource."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the node (network module output vpc_id)."
}

variable "subnet_id" {
  type        = string
  description = "Public subnet of the node (network module output public_subnet_id)."
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type; k3s plus the model server and MLflow fit in 4 GiB."
  default     = "t3.medium"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.medium."
  }
}

variable "root_volume_gb" {
  type        = number
  description = "Size of the encrypted gp3 root volume in GiB."
  default     = 30
  validation {
    condition     = var.root_volume_gb >= 20 && var.root_volume_gb <= 1000
    error_message = "root_volume_gb must be between 20 and 1000."
  }
}

variable "k3s_version" {
  type        = string
  description = "k3s release to install (INSTALL_K3S_VERSION), pinned so a rebuild gives the same cluster."
  default     = "v1.31.4+k3s1"
  validation {
    condition     = can(regex("^v\\d+\\.\\d+\\.\\d+\\+k3s\\d+$", var.k3s_version))
    error_message = "k3s_version must look like v1.31.4+k3s1."
  }
}

variable "api_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the Kubernetes API (6443). Empty (the default) keeps it closed; CI then reaches it through the SSM-stored kubeconfig from an allowed network or a tunnel."
  default     = []
  validation {
    condition     = alltrue([for c in var.api_cidrs : can(cidrhost(c, 0))])
    error_message = "api_cidrs must be IPv4 CIDRs."
  }
}

variable "ssh_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to SSH (22). Empty (the default) keeps SSH closed; use SSM Session Manager instead."
  default     = []
  validation {
    condition     = alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "ssh_cidrs must be IPv4 CIDRs."
  }
}

variable "http_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the model service through the k3s ingress (80, 443)."
  default     = ["0.0.0.0/0"]
  validation {
    condition     = alltrue([for c in var.http_cidrs : can(cidrhost(c, 0))])
    error_message = "http_cidrs must be IPv4 CIDRs."
  }
}

variable "mlflow_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the MLflow NodePort (mlflow_node_port). Empty keeps it closed."
  default     = []
  validation {
    condition     = alltrue([for c in var.mlflow_cidrs : can(cidrhost(c, 0))])
    error_message = "mlflow_cidrs must be IPv4 CIDRs."
  }
}

variable "mlflow_node_port" {
  type        = number
  description = "NodePort the MLflow service listens on (from the mlflow module)."
  default     = 30500
}

variable "key_name" {
  type        = string
  description = "EC2 key pair for SSH; null (the default) installs no key."
  default     = null
}

variable "kubeconfig_parameter_name" {
  type        = string
  description = "SSM Parameter Store name (SecureString) the node writes its kubeconfig to, for CI to read."
  default     = "/mlops/kubeconfig"
  validation {
    condition     = can(regex("^/[A-Za-z0-9_./-]+$", var.kubeconfig_parameter_name))
    error_message = "kubeconfig_parameter_name must be an absolute SSM parameter path such as /mlops/kubeconfig."
  }
}

variable "manifests" {
  type        = map(string)
  description = "Kubernetes manifests (name => YAML) put in k3s's auto-deploy folder at boot, e.g. the mlflow module's manifest."
  default     = {}
}

variable "boot_commands" {
  type        = list(string)
  description = "Shell commands run at the end of the first boot, after k3s is ready (e.g. the mlflow module's secret setup)."
  default     = []
}

variable "s3_bucket_arns" {
  type        = list(string)
  description = "Buckets the node's workloads may read and write (MLflow artifacts)."
  default     = []
}

variable "ssm_read_parameter_arns" {
  type        = list(string)
  description = "Further SSM parameters the node may read at boot (e.g. the MLflow database password)."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
