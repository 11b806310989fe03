#!/usr/bin/env bash
# Installs the Debian packages ming needs to build and test, if any are missing.
# Usage: scripts/setup.sh [extra-package ...]   (runs as root, or through sudo if present)
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libopenblas-dev nlohmann-json3-dev
          libcli11-dev libtomlplusplus-dev zlib1g-dev libgtest-dev libmicrohttpd-dev
          libsimdjson-dev prometheus "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
