#!/usr/bin/env bash
# Installs what krelay needs on a fresh Debian machine with Node and root: the VM and
# module-build tools, chromium (the render test of krelay report), prometheus (promtool checks
# the metrics) and dkms (its build test) from apt, the npm dependencies, and Debian's 6.1 and 6.12 kernels
# (image + headers, fetched with apt into .cache/vm) with krelay.ko built for each.
# Safe to run again: every step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"

packages=(qemu-system-x86 busybox-static kmod make gcc-12 build-essential dwarves libelf1 xz-utils tmux chromium prometheus dkms)
export DEBIAN_FRONTEND=noninteractive
# also refreshes the lists the kernel fetch resolves the current ABI from (old ABIs vanish)
apt-get update -qq
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# @riaskov/mmap-io is built from source; node-gyp finds Node's headers here
export npm_config_nodedir=/usr
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

node --import tsx vm/fetch.ts
