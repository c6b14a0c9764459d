#!/usr/bin/env bash
# Builds the linux-x64-gnu addon for the npm platform package npm/linux-x64-gnu/, against an OLD
# glibc so that it loads on any Linux with glibc >= 2.31 (Debian 11, Ubuntu 20.04, RHEL 9 and later),
# not only on the machine that packs it. The build runs in a Debian 11 (bullseye) root made with
# debootstrap, using the host's Rust toolchain (rustup toolchains run on glibc >= 2.17) mounted
# read-only; the crate depends on Rust std only, so nothing is downloaded but the Debian root.
# The result is stripped, and its required GLIBC symbol versions are checked with objdump -T.
#
# Needs: root (chroot, mount), debootstrap, objdump/strip (binutils), rustc/cargo on PATH.
# Usage: sudo scripts/build-native-linux-gnu.sh
#   GYMNOS_BUILD_ROOT=/var/tmp/gymnos-bullseye   where the Debian root is kept (made once, ~1-2 min)
#   GYMNOS_DEBIAN_MIRROR=http://deb.debian.org/debian
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${GYMNOS_BUILD_ROOT:-/var/tmp/gymnos-bullseye}
mirror=${GYMNOS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
max_glibc=2.31 # bullseye's glibc: the addon may need no newer symbol version
tag=linux-x64-gnu
out=npm/$tag/gymnos-native.$tag.node

die() { echo "build-native-linux-gnu: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (chroot and bind mounts); run it with sudo"
[ "$(uname -m)" = x86_64 ] || die "builds the x86_64 addon and must run on an x86_64 host (this is $(uname -m))"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
command -v objdump >/dev/null || die "objdump is missing: apt-get install binutils"
sysroot=$(rustc --print sysroot) || die "rustc is not on PATH (install Rust: https://rustup.rs)"
[ -x "$sysroot/bin/cargo" ] || die "no cargo next to rustc in $sysroot (a rustup toolchain has both)"
case "$sysroot" in /usr | /usr/local) die "rustc's sysroot is $sysroot: a distribution's rustc is linked against this host's glibc and cannot run in the Debian 11 root; install a rustup toolchain (https://rustup.rs), which runs on glibc >= 2.17" ;; esac

if [ ! -x "$root/usr/bin/cc" ]; then
  echo "build-native-linux-gnu: making a Debian 11 root in $root (debootstrap, once)"
  debootstrap --variant=minbase --include=gcc,libc6-dev,binutils bullseye "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $root.debootstrap.log"
fi

mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" || true; done
}
trap cleanup EXIT
mkdir -p "$root/opt/rust" "$root/proc" "$root/build"
mount --bind "$sysroot" "$root/opt/rust" && mounts+=("$root/opt/rust")
mount -o remount,bind,ro "$root/opt/rust"
mount -t proc proc "$root/proc" && mounts+=("$root/proc")

# A clean copy of the crate: no stale target/, nothing of the host's build reused.
rm -rf "$root/build/native"
mkdir -p "$root/build/native"
cp -r native/Cargo.toml native/Cargo.lock native/src "$root/build/native/"
chroot "$root" /usr/bin/env -i PATH=/opt/rust/bin:/usr/bin:/bin HOME=/build CARGO_HOME=/build/cargo-home \
  RUSTC=/opt/rust/bin/rustc /opt/rust/bin/cargo build --release --offline --locked \
  --manifest-path /build/native/Cargo.toml --target-dir /build/target

built=$root/build/target/release/libgymnos_native.so
[ -f "$built" ] || die "cargo succeeded but $built is missing"
mkdir -p "npm/$tag"
strip --strip-unneeded -o "$out.tmp" "$built"
mv "$out.tmp" "$out"

need=$(objdump -T "$out" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
echo "build-native-linux-gnu: $out: $(stat -c %s "$out") bytes, needs GLIBC_$need"
if [ "$(printf '%s\n%s\n' "$need" "$max_glibc" | sort -V | tail -1)" != "$max_glibc" ]; then
  die "$out needs GLIBC_$need, newer than $max_glibc: it was not linked against the Debian 11 root"
fi
# It must load in this Node (the symbols it imports are Node-API functions node provides).
node -e 'const b = require(process.argv[1]); if (typeof b.open !== "function") process.exit(1); console.log("build-native-linux-gnu: loads, version " + b.version)' "$repo/$out"
