module "network" {
  source = "../../modules/network"
  name   = var.name
}

module "buckets" {
  source = "../../modules/buckets"
  name   = var.name
}

module "ecr" {
  source          = "../../modules/ecr"
  repository_name = "${var.name}/model-server"
}

module "mlflow" {
  source        = "../../modules/mlflow"
  name          = var.name
  artifact_root = module.buckets.mlflow_artifact_root
}

module "k3s_node" {
  source                  = "../../modules/k3s-node"
  name                    = var.name
  vpc_id                  = module.network.vpc_id
  subnet_id               = module.network.public_subnet_id
  instance_type           = var.instance_type
  api_cidrs               = var.admin_cidrs
  mlflow_cidrs            = var.admin_cidrs
  mlflow_node_port        = module.mlflow.node_port
  manifests               = { mlflow = module.mlflow.manifest }
  boot_commands           = module.mlflow.boot_commands
  s3_bucket_arns          = [module.buckets.mlflow_bucket_arn]
  ssm_read_parameter_arns = [module.mlflow.db_password_parameter_arn]
}

module "github_oidc" {
  source                   = "../../modules/github-oidc"
  name                     = "${var.name}-github-deploy"
  repository               = var.github_repository
  environments             = var.github_environments
  create_provider          = var.create_oidc_provider
  ecr_repository_arn       = module.ecr.repository_arn
  bucket_arns              = module.buckets.bucket_arns
  kubeconfig_parameter_arn = module.k3s_node.kubeconfig_parameter_arn
}
