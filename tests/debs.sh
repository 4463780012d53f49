#!/usr/bin/env bash
# Installs the Debian packages whose binaries are missing. Arguments: BINARY=PACKAGE pairs, e.g.
#   tests/debs.sh /usr/bin/prometheus=prometheus /usr/sbin/nginx=nginx-light
set -euo pipefail
need=()
for pair in "$@"; do
  [ -x "${pair%%=*}" ] || need+=("${pair#*=}")
done
[ ${#need[@]} -gt 0 ] || exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
