#!/usr/bin/env bash
# Installs the OCI registry (distribution v2.8, Debian `docker-registry`), `skopeo` (the independent client the
# packages/oci and actions/ecr-push tests read pushed images back with) and `htpasswd` (apache2-utils, for the
# registry's basic-auth file). Quiet when all are present.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/apt-deps.sh docker-registry skopeo apache2-utils
