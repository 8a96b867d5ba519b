#!/usr/bin/env bash
# Prometheus 2.42 with promtool (Debian `prometheus`): the observability tests check and unit-test the alert
# rules with the real promtool and scrape a real serve with a real Prometheus (started by the test itself on a
# free 127.0.0.1 port, never the packaged service). Quiet when already installed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/scripts/apt-deps.sh" prometheus
