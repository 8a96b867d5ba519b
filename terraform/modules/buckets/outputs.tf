output "dvc_bucket" {
  description = "Name of the DVC remote bucket."
  value       = aws_s3_bucket.this["dvc"].id
}

output "dvc_remote_url" {
  description = "DVC remote URL (dvc remote add -d storage <this>)."
  value       = "s3://${aws_s3_bucket.this["dvc"].id}/dvcstore"
}

output "mlflow_bucket" {
  description = "Name of the MLflow artifacts bucket."
  value       = aws_s3_bucket.this["mlflow"].id
}

output "mlflow_artifact_root" {
  description = "MLflow default artifact root."
  value       = "s3://${aws_s3_bucket.this["mlflow"].id}/mlflow"
}

output "bucket_arns" {
  description = "ARNs of both buckets, for IAM policies."
  value       = [for b in aws_s3_bucket.this : b.arn]
}

output "dvc_bucket_arn" {
  description = "ARN of the DVC bucket."
  value       = aws_s3_bucket.this["dvc"].arn
}

output "mlflow_bucket_arn" {
  description = "ARN of the MLflow artifacts bucket."
  value       = aws_s3_bucket.this["mlflow"].arn
}
