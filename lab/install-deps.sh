#!/usr/bin/env bash
# Installs the Debian packages the NAT lab needs, idempotently and non-interactively,
# without letting any of them start as a system service (the lab runs its own
# miniupnpd / turnserver instances inside namespaces).
set -euo pipefail

# coturn: turnserver (the lab's STUN server) and turnutils_stunclient (interop client for Burrow's STUN server)
pkgs=(iproute2 nftables iptables conntrack miniupnpd miniupnpd-nftables miniupnpc coturn python3)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "lab deps: all installed"
  exit 0
fi
echo "lab deps: installing ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
  echo "lab deps: need root to install ${missing[*]}" >&2
  exit 1
fi

# policy-rc.d exit 101 = "action forbidden": invoke-rc.d / deb-systemd-invoke start nothing.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
cleanup() { [ "$created_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
# miniupnpd's postinst asks whether to start the daemon and on which interface.
echo "miniupnpd miniupnpd/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true

apt_get() { apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }
if ! apt_get install --no-install-recommends "${missing[@]}"; then
  apt-get -q update
  apt_get install --no-install-recommends "${missing[@]}"
fi

echo "lab deps: done"
