#!/usr/bin/env bash
# Install the system packages the browser tests need: Debian's Chromium (Playwright
# cannot download its own browser here) and fonts for readable screenshots
# (DejaVu for Latin text, Noto CJK for Chinese labels).
#
# Idempotent: does nothing when everything is installed already, so it is safe to run
# as a non-root user then. Otherwise it needs root (or passwordless sudo) for apt-get.
#
# Usage: bash tools/install_system.sh
set -euo pipefail

CHROMIUM=/usr/bin/chromium
FONT_PKGS=(fonts-dejavu-core fonts-noto-cjk)

need=()
if [ ! -x "$CHROMIUM" ]; then
    need+=(chromium)
fi
for pkg in "${FONT_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        need+=("$pkg")
    fi
done

if [ ${#need[@]} -eq 0 ]; then
    echo "install_system: chromium and fonts already installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "install_system: error: missing ${need[*]}; installing needs root (apt-get)." >&2
    echo "  run as root: apt-get update && apt-get install -y ${need[*]}" >&2
    exit 1
fi

echo "install_system: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q "${need[@]}"

if [ ! -x "$CHROMIUM" ]; then
    echo "install_system: error: $CHROMIUM still missing after apt-get install" >&2
    exit 1
fi
echo "install_system: done ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
