#!/usr/bin/env bash
# Installs what the inference-pipeline data-path test (test/datapath) needs:
#   - PostgreSQL, RabbitMQ and Redis servers from Debian packages (only the
#     missing ones; `apt-get update` only when the package lists are missing or
#     stale for what we ask for). Their system services are NOT started: the
#     test runs its own instances on loopback in a temp dir.
#   - the Benthos binary, built from Go modules (tools/benthos/build.sh).
# Idempotent and fast when everything is present.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

start=$(date +%s)

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 || missing+=(postgresql postgresql-client)
[ -x /usr/sbin/rabbitmq-server ] || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || missing+=(redis-server redis-tools)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)

if [ "${#missing[@]}" -gt 0 ]; then
  log "datapath deps: installing ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install ${missing[*]}"
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)

  # Do not let the packages start their system services (default ports, no
  # systemd here): a policy-rc.d that denies every start, removed afterwards
  # unless one was already there.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    trap '"${SUDO[@]}" rm -f "$policy"' EXIT
  fi

  # Only refresh the package lists when they cannot serve the install.
  if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null \
     || ! "${SUDO[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}"; then
    log "datapath deps: apt-get update"
    "${SUDO[@]}" apt-get update -q -o DPkg::Lock::Timeout=600
    "${SUDO[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}"
  fi

  # Debian's postinst may still have launched a server despite policy-rc.d on
  # some setups; stop only those the packages own (by pid file), never by name.
  for pidfile in /run/redis/redis-server.pid /run/rabbitmq/pid; do
    if [ -s "$pidfile" ]; then
      pid="$(cat "$pidfile")"
      log "datapath deps: stopping the packaged service started by postinst (pid $pid from $pidfile)"
      "${SUDO[@]}" kill "$pid" 2>/dev/null || true
    fi
  done
  log "datapath deps: packages installed after $(( $(date +%s) - start ))s"
else
  log "datapath deps: postgresql, rabbitmq-server, redis-server present"
fi

"$MLPLAT_ROOT/tools/benthos/build.sh" >/dev/null
log "datapath deps: ready after $(( $(date +%s) - start ))s"
