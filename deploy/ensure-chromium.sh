#!/usr/bin/env bash
# The staff console's browser tests drive Debian's Chromium through Playwright (no browser download is possible here).
# Installs the 'chromium' package when /usr/bin/chromium (or CHROMIUM_PATH) is missing.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then exit 0; fi
echo "Chromium not found at $browser: installing Debian's 'chromium' package (one time)..." >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
[ -x "$browser" ] || { echo "Installing chromium did not provide $browser." >&2; exit 1; }
