#!/usr/bin/env bash
# Installs krelay on Debian from this checkout (packaging/README.md walks through it):
#   /opt/krelay                     the checkout's files + `npm ci --omit=dev`
#   /usr/local/bin/krelay           -> /opt/krelay/bin/krelay.js
#   /usr/src/krelay-<version>/      the module's source for DKMS (dkms add, build, install)
#   /etc/modules-load.d/krelay.conf loads krelay.ko at boot
#   /etc/krelay/krelay.toml         from packaging/krelay.toml, only if there is none
#   /etc/systemd/system/krelay.service, enabled and started
# --root DIR stages the files under DIR instead (no apt, npm, dkms, modprobe or systemctl):
# for building a package or an image, and for test/packaging/install.test.ts.
set -euo pipefail

usage () { echo "usage: $0 [--root DIR]" >&2; exit 2; }
root=''
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || usage; root="$(realpath -m "$2")"; shift 2 ;;
    --root=*) root="$(realpath -m "${1#--root=}")"; shift ;;
    -h|--help) usage ;;
    *) echo "$0: unknown argument $1" >&2; usage ;;
  esac
done
src="$(cd "$(dirname "$0")/.." && pwd)"
say () { echo "krelay install: $*"; }
die () { echo "krelay install: $*" >&2; exit 1; }

[ -f "$src/package.json" ] && [ -f "$src/kmod/dkms.conf" ] || die "$src is not a krelay checkout"
[ -f "$src/packaging/krelay.toml" ] || die "$src/packaging/krelay.toml is missing"
version="$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$src/package.json")"
[ -n "$version" ] || die "no version in $src/package.json"

if [ -z "$root" ]; then
  [ "$(id -u)" -eq 0 ] || die "run as root (or stage with --root DIR)"
  command -v node >/dev/null || die "node not found: install Node.js >= 20.19 first (packaging/README.md)"
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
    die "node $(node --version) is too old: krelay needs >= 20.19 (packaging/README.md)"
  command -v npm >/dev/null || die "npm not found: it comes with Node.js (packaging/README.md)"
  say "apt: dkms, the headers of $(uname -r), a compiler for the module and for @riaskov/mmap-io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends dkms "linux-headers-$(uname -r)" build-essential python3 >/dev/null
fi

# The application: the checkout's files (tracked ones when it is a git checkout)
app="$root/opt/krelay"
if [ "$(realpath -m "$app")" != "$src" ]; then
  say "copying $src to $app"
  rm -rf "$app"
  install -d -m 0755 "$app"
  if [ -d "$src/.git" ] || [ -f "$src/.git" ]; then
    git -C "$src" ls-files -z | tar -C "$src" --null -T - -cf - | tar -C "$app" --no-same-owner -xf -
  else
    tar -C "$src" --exclude=./node_modules --exclude=./.cache --exclude=./.git -cf - . | tar -C "$app" --no-same-owner -xf -
  fi
fi
chmod 0755 "$app/bin/krelay.js"
install -d -m 0755 "$root/usr/local/bin"
ln -sfn /opt/krelay/bin/krelay.js "$root/usr/local/bin/krelay"
if [ -z "$root" ]; then
  say "npm ci --omit=dev in $app"
  # @riaskov/mmap-io is compiled at install; node-gyp takes Node's headers from /usr/include/node
  (cd "$app" && npm_config_nodedir=/usr npm ci --omit=dev --no-audit --no-fund)
  # bin/krelay.js runs the sources transpiled into .cache/js/, made at its first start; the
  # service cannot write /opt/krelay (ProtectSystem=strict), so the first start is now
  say "transpiling the command into $app/.cache/js"
  (cd "$app" && node bin/krelay.js --version >/dev/null)
fi

# The module's source for DKMS, laid out as kmod/dkms.conf expects
usrc="$root/usr/src/krelay-$version"
say "module source to $usrc"
rm -rf "$usrc"
install -d -m 0755 "$usrc/kmod" "$usrc/formats"
install -m 0644 "$src/kmod/dkms.conf" "$usrc/dkms.conf"
install -m 0644 "$src"/kmod/*.c "$src"/kmod/*.h "$src/kmod/Makefile" "$usrc/kmod/"
install -m 0644 "$src/formats/krelay_abi.h" "$usrc/formats/"

install -d -m 0755 "$root/etc/modules-load.d" "$root/etc/systemd/system"
install -m 0644 "$src/packaging/systemd/modules-load.conf" "$root/etc/modules-load.d/krelay.conf"
install -m 0644 "$src/packaging/systemd/krelay.service" "$root/etc/systemd/system/krelay.service"
install -d -m 0755 "$root/etc/krelay"
if [ -e "$root/etc/krelay/krelay.toml" ]; then
  say "$root/etc/krelay/krelay.toml exists: kept (the example is $app/packaging/krelay.toml)"
else
  install -m 0640 "$src/packaging/krelay.toml" "$root/etc/krelay/krelay.toml"
fi

if [ -n "$root" ]; then
  say "staged in $root; on the target: dkms add/build/install krelay/$version, systemctl daemon-reload, systemctl enable --now krelay"
  exit 0
fi

# A reinstall of the same version replaces what DKMS had built from the old source
if dkms status -m krelay -v "$version" | grep -q .; then dkms remove -m krelay -v "$version" --all >/dev/null; fi
dkms add -m krelay -v "$version"
dkms build -m krelay -v "$version"
dkms install -m krelay -v "$version"
modprobe krelay
systemctl daemon-reload
systemctl enable --now krelay
say "done: systemctl status krelay; krelay status"
