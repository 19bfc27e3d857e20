#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package vtd-remap needs to build, boot and test.
# Idempotent: when everything is present it does nothing and prints nothing
# but a one-line summary. Needs root (or sudo) only when something is missing.

set -euo pipefail

PKGS=(
	make gcc linux-headers-amd64 linux-image-amd64
	linux-source-6.1 flex bison bc libelf-dev libssl-dev dwarves
	cpio xz-utils rsync kmod python3
	qemu-system-x86 busybox-static
	sparse acpica-tools clang llvm
	gnuplot-nox fio linux-perf patch
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all ${#PKGS[@]} packages present"
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "setup: missing packages (${missing[*]}) and not root" >&2
		exit 1
	}
	SUDO=sudo
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
