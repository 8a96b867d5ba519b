data "aws_caller_identity" "current" {}

locals {
  issuer       = "token.actions.githubusercontent.com"
  provider_arn = var.create_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.issuer}"
  # Exactly these subjects: a branch's pushes and dispatches, or a job in a protected environment.
  subjects = concat(
    [for b in var.branches : "repo:${var.repository}:ref:refs/heads/${b}"],
    [for e in var.environments : "repo:${var.repository}:environment:${e}"],
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_provider ? 1 : 0
  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS no longer checks the thumbprint for GitHub's issuer, but the API still requires one.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
  tags            = var.tags
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = local.subjects
    }
  }
}

resource "aws_iam_role" "github" {
  name                 = var.name
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid = "EcrLogin"
    # GetAuthorizationToken has no resource-level permissions: AWS requires "*" for this one action.
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImageScanFindings",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [var.ecr_repository_arn]
  }
  dynamic "statement" {
    for_each = length(var.bucket_arns) > 0 ? [1] : []
    content {
      sid       = "ListBuckets"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = var.bucket_arns
    }
  }
  dynamic "statement" {
    for_each = length(var.bucket_arns) > 0 ? [1] : []
    content {
      sid       = "ReadWriteObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
      resources = [for arn in var.bucket_arns : "${arn}/*"]
    }
  }
  dynamic "statement" {
    for_each = var.kubeconfig_parameter_arn == null ? [] : [1]
    content {
      sid       = "ReadKubeconfig"
      actions   = ["ssm:GetParameter"]
      resources = [var.kubeconfig_parameter_arn]
    }
  }
}

resource "aws_iam_role_policy" "github" {
  name   = "${var.name}-pipeline"
  role   = aws_iam_role.github.id
  policy = data.aws_iam_policy_document.permissions.json
}
