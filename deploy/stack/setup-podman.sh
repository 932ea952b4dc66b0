#!/usr/bin/env bash
# Podman on these machines (docs: DESIGN.md "Containers"), idempotent: a second run changes
# nothing. Installs podman + runc, makes runc the runtime and drops the
# default ulimits (crun: "cgroups in hybrid mode not supported"; ulimits: "setrlimit:
# Operation not permitted"), and seeds debian:trixie-slim from Debian with mmdebstrap when no
# registry can be reached. Needs root.
set -euo pipefail
BASE_IMAGE=docker.io/library/debian:trixie-slim

need=()
# With their recommends (iptables for netavark, aardvark-dns for service names, slirp4netns).
for p in podman runc iptables aardvark-dns mmdebstrap; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "==> apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

conf=/etc/containers/containers.conf
mkdir -p /etc/containers
if ! grep -q '^# halo: runc and no default ulimits' "$conf" 2>/dev/null; then
  echo "==> $conf: runtime runc, no default ulimits"
  cat >>"$conf" <<'CONF'
# halo: runc and no default ulimits (crun and the default ulimits fail on these machines)
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
fi

if ! podman image exists "$BASE_IMAGE"; then
  if podman pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "==> pulled $BASE_IMAGE"
  else
    echo "==> no registry: seeding $BASE_IMAGE from Debian with mmdebstrap (about a minute)"
    mmdebstrap --quiet --variant=minbase trixie - | podman import -q - "$BASE_IMAGE" >/dev/null
  fi
fi
echo "==> podman $(podman --version | awk '{print $3}'), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'), base image ready"
