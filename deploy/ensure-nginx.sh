#!/usr/bin/env bash
# The case-routing tests (and `write --two --routed`) run deploy/nginx/route-by-case.conf in Debian's nginx in front
# of two instances. Installs nginx-light if nginx is missing (the package's own service is not needed and not used).
set -euo pipefail
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then exit 0; fi
echo "Installing nginx-light for the case-routing tests (one time)..." >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx-light >&2
