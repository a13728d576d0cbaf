#!/usr/bin/env bash
# Installs the system programs the test suite needs, from Debian's packages, when missing:
# redis-server (integration tests start their own throwaway servers), chromium (browser
# tests drive Debian's Chromium through playwright-core; no browser is downloaded), curl
# (SSE tests), haproxy (the local topology) and docker-compose (validates the compose file).
# Run as root (CI and fresh machines here are); otherwise prints the command to run.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin" # haproxy lives in /usr/sbin

declare -A packages=([redis-server]=redis-server [chromium]=chromium [curl]=curl [haproxy]=haproxy [docker-compose]=docker-compose)
missing=()
for program in "${!packages[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${packages[$program]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing system packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: run  sudo apt-get install -y ${missing[*]}  and try again" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
