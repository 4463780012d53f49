#!/usr/bin/env bash
# Installs the Debian packages whose files are missing. Arguments: FILE=PACKAGE pairs, the file a
# binary or any other file the package ships (a jar), e.g.
#   tests/debs.sh /usr/bin/prometheus=prometheus /usr/share/java/jolokia-core.jar=libjolokia-core-java
set -euo pipefail
need=()
for pair in "$@"; do
  [ -e "${pair%%=*}" ] || need+=("${pair#*=}")
done
[ ${#need[@]} -gt 0 ] || exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
