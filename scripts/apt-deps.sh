#!/usr/bin/env bash
# Installs the Debian packages the test suite runs as independent references (SciPy for drift statistics,
# pandas for benchmarks). Quiet and quick when they are present; needs root and apt-get otherwise.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "apt-deps: need ${missing[*]} (Debian packages); install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "apt-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
