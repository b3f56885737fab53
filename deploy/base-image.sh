#!/usr/bin/env bash
# Builds the local base image for machines that reach Debian's package mirror but no container
# registry (CI here): a minimal Debian bookworm root filesystem made with debootstrap, holding
#   - openjdk-17-jre-headless  the JRE every service image runs on (what eclipse-temurin:17-jre gives)
#   - passwd                   useradd, used by the service Dockerfiles to create the user `pin`
#   - prometheus               Debian's Prometheus 2.42, for deploy/prometheus/Dockerfile
#                              (the local stand-in for prom/prometheus)
#   - ca-certificates, curl    TLS roots (Maven Central for `pin models import`) and a tiny HTTP client
# then `docker import`s it as $PIN_BASE_IMAGE (default pin/jre:17-r2). Skipped when the image exists
# (set PIN_BASE_REBUILD=1 to rebuild). Needs root, debootstrap and a running Docker engine.
#
#   deploy/base-image.sh                 # build pin/jre:17-r2 if missing
#   PIN_BASE_IMAGE=eclipse-temurin:17-jre docker-compose ...   # users with a registry need none of this
set -euo pipefail
IMAGE="${PIN_BASE_IMAGE:-pin/jre:17-r2}"
MIRROR="${PIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
PACKAGES=openjdk-17-jre-headless,passwd,prometheus,ca-certificates,curl,wamerican,fontconfig,fonts-dejavu-core

if [ -z "${PIN_BASE_REBUILD:-}" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE exists (PIN_BASE_REBUILD=1 rebuilds it)"
  exit 0
fi
command -v debootstrap >/dev/null || {
  echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }

rootfs="$(mktemp -d /tmp/pin-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $SUITE ($PACKAGES) into $rootfs ..."
start=$(date +%s)
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" \
  > /tmp/pin-debootstrap.log 2>&1 || { tail -30 /tmp/pin-debootstrap.log >&2; exit 1; }
# Slim it: apt lists and caches, docs and man pages are not needed at run time.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
# Same sources as the host so that a derived image can apt-get where the network allows it.
echo "deb $MIRROR $SUITE main" > "$rootfs/etc/apt/sources.list"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  --message "debootstrap --variant=minbase --include=$PACKAGES $SUITE" - "$IMAGE" >/dev/null
echo "built base image $IMAGE in $(( $(date +%s) - start ))s"
# Captured first: `| head -1` would close the pipe early and fail docker under pipefail.
version=$(docker run --rm "$IMAGE" java -version 2>&1)
echo "${version%%$'\n'*}"
