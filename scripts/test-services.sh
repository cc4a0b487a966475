#!/usr/bin/env bash
# Starts the real services RESTfulSwarm's tests need, on loopback only:
#   Redis      127.0.0.1:6379
#   Docker     unix:///var/run/docker.sock (dockerd, experimental for checkpoint/restore)
#   FerretDB   127.0.0.1:27017 (services/ferretdb, SQLite backend, MongoDB wire protocol)
#   and, with RSWARM_FERRET_PG=1 (for benchmarks), a second FerretDB on 127.0.0.1:27018 with the
#   PostgreSQL handler over a private PostgreSQL 15 cluster (unix socket only, no TCP port)
# plus the test image rswarm/busybox:latest (also tagged busybox:latest),
# Debian's chromium (headless, for the dashboard test) and,
# best effort, a CRIU recent enough for `docker checkpoint` on this kernel.
#
# Usage (as root):
#   scripts/test-services.sh          start what is missing, reuse what already answers
#   scripts/test-services.sh stop     stop only the services this script started
#   scripts/test-services.sh status   show what answers
#
# Idempotent. Progress goes to stderr; stdout is exactly one line,
#   export MONGO_URL=... REDIS_URL=... DOCKER_HOST=... CHROMIUM_PATH=...
# so `eval "$(scripts/test-services.sh)"` sets up a shell (plus MONGO_PG_URL with RSWARM_FERRET_PG=1). The same line is
# written to $RSWARM_STATE_DIR/env.sh.
#
# A pre-set MONGO_URL / REDIS_URL / DOCKER_HOST means "use mine": that service
# is neither started nor stopped here.
#
# Knobs: RSWARM_STATE_DIR (default /tmp/rswarm-services), RSWARM_CRIU=0 to skip
# the CRIU step, RSWARM_DOCKER_TIMEOUT (seconds, default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${RSWARM_STATE_DIR:-/tmp/rswarm-services}"
DOCKER_TIMEOUT="${RSWARM_DOCKER_TIMEOUT:-60}"
DOCKERD_LOG=/var/log/rswarm-dockerd.log
FERRET_SRC="$ROOT/services/ferretdb"
FERRET_BIN="$FERRET_SRC/ferretdb-embedded"
FERRET_LISTEN=127.0.0.1:27017
FERRET_PG_LISTEN=127.0.0.1:27018
PG_DATA="$STATE/pg-data"
PG_SOCK="$STATE/pg-sock"
IMAGE=rswarm/busybox:latest
GO_FALLBACK_VERSION=go1.24.6

export DEBIAN_FRONTEND=noninteractive
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

USER_MONGO_URL="${MONGO_URL:-}"
USER_REDIS_URL="${REDIS_URL:-}"
USER_DOCKER_HOST="${DOCKER_HOST:-}"

log() { printf '[test-services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$STATE"

# ---------------------------------------------------------------- helpers

APT_UPDATED=0
apt_install() { # apt_install PKG... (only the missing ones; `apt-get update` at most once)
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "apt-get install ${missing[*]}"
  if ((APT_UPDATED == 0)) && ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
    apt-get update -qq >&2; APT_UPDATED=1
  fi
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    ((APT_UPDATED == 0)) || return 1
    apt-get update -qq >&2; APT_UPDATED=1
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

redis_ping() { # works without redis-cli
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379; printf "PING\r\n" >&3; IFS= read -r l <&3; [[ $l == +PONG* ]]' 2>/dev/null
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

pidfile_pid() { [[ -s $1 ]] && cat "$1" || true; }

stop_pidfile() { # stop_pidfile NAME FILE [SECONDS]
  local name=$1 file=$2 secs=${3:-30} pid i
  pid=$(pidfile_pid "$file")
  if pid_alive "$pid"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then log "$name did not stop in ${secs}s, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

docker_ok() { timeout 20 docker info >/dev/null 2>&1; }

pg_bin() { # the newest installed PostgreSQL's bin directory
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  echo "${d:-/usr/lib/postgresql/15/bin}"
}

# ---------------------------------------------------------------- stop / status

if [[ ${1:-start} == stop ]]; then
  stop_pidfile FerretDB "$STATE/ferretdb.pid" 15
  if [[ -s $STATE/ferretdb.dir ]]; then rm -rf "$(cat "$STATE/ferretdb.dir")"; rm -f "$STATE/ferretdb.dir"; fi
  stop_pidfile FerretDB-pg "$STATE/ferretdb-pg.pid" 15
  if [[ -s $PG_DATA/postmaster.pid ]]; then
    log "stopping PostgreSQL ($PG_DATA)"
    runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >&2 || true
  fi
  stop_pidfile Redis "$STATE/redis.pid" 15
  stop_pidfile dockerd "$STATE/dockerd.pid" 60
  rm -f "$STATE/env.sh"
  log "stopped what this script had started (services it found already running were left alone)"
  exit 0
fi

if [[ ${1:-start} == status ]]; then
  redis_ping && log "redis: up" || log "redis: down"
  docker_ok && log "docker: up ($(docker version --format '{{.Server.Version}}' 2>/dev/null))" || log "docker: down"
  tcp_open 127.0.0.1 27017 && log "mongo/ferretdb: up" || log "mongo/ferretdb: down"
  tcp_open 127.0.0.1 27018 && log "mongo/ferretdb-pg: up" || log "mongo/ferretdb-pg: down"
  exit 0
fi

[[ ${1:-start} == start ]] || die "usage: $0 [start|stop|status]"
[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, starts dockerd)"

T0=$SECONDS

# ---------------------------------------------------------------- Redis

start_redis() {
  if [[ -n $USER_REDIS_URL ]]; then log "redis: using REDIS_URL=$USER_REDIS_URL (not started here)"; return; fi
  if redis_ping; then
    log "redis: already answering on 127.0.0.1:6379, reusing"
  else
    apt_install redis-server redis-tools
    log "redis: starting on 127.0.0.1:6379"
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
      --dir "$STATE" --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" >&2
    local i
    for ((i = 0; i < 100; i++)); do redis_ping && break; sleep 0.1; done
    redis_ping || die "redis did not answer PING; see $STATE/redis.log"
  fi
  command -v redis-server >/dev/null && log "redis: $(redis-server --version)"
  return 0
}

# ---------------------------------------------------------------- CRIU (best effort)
# Debian 12's criu 3.17 fails `criu check` on recent kernels (vDSO layout), and
# trixie's binary package needs a newer glibc; so build criu from Debian trixie's
# source tarball (fetched with apt from Debian's archive) into /usr/local/sbin.

ensure_criu() {
  [[ ${RSWARM_CRIU:-1} != 0 ]] || { log "criu: skipped (RSWARM_CRIU=0)"; return 0; }
  if command -v criu >/dev/null && criu check >/dev/null 2>&1; then
    log "criu: $(criu --version | head -1) ($(command -v criu)), check OK"; return 0
  fi
  log "criu: none that passes 'criu check'; building from Debian trixie source (best effort)"
  # (a background subshell, so that `set -e` really applies inside build_criu)
  (build_criu) >"$STATE/criu-build.log" 2>&1 &
  if ! wait $!; then
    log "criu: build failed (see $STATE/criu-build.log); docker checkpoint will be unavailable"; return 0
  fi
  if criu check >/dev/null 2>&1; then log "criu: $(criu --version | head -1) built, check OK"
  else log "criu: built but 'criu check' fails; docker checkpoint will be unavailable"; fi
}

build_criu() {
  set -euo pipefail
  apt_install build-essential pkg-config libbsd-dev libcap-dev libgnutls28-dev libnet1-dev \
    libnftables-dev libnl-3-dev libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler \
    protobuf-compiler uuid-dev python3-protobuf
  local d=$STATE/criu-src
  rm -rf "$d"; mkdir -p "$d/lists/partial" "$d/src"
  echo 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' >"$d/sources.list"
  local o=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$d/lists" -o APT::Get::List-Cleanup=0)
  apt-get "${o[@]}" update
  # Only the upstream tarball is needed (Debian's patches are packaging only).
  (cd "$d/src" && apt-get "${o[@]}" source --download-only criu) || true
  local tarball
  tarball=$(ls "$d"/src/criu_*.orig.tar.* | head -1)
  tar -C "$d/src" -xf "$tarball"
  make -C "$d"/src/criu-*/ -j"$(nproc)" criu
  install -m 0755 "$d"/src/criu-*/criu/criu /usr/local/sbin/criu
  rm -rf "$d"
}

# ---------------------------------------------------------------- Docker

# Flags: --experimental enables `docker checkpoint` (CRIU); --ip 127.0.0.1 makes
# published container ports bind to loopback by default; iptables stays on
# (bridge NAT + swarm overlay need it); storage overlay2, vfs as fallback.
# --default-address-pool: 256 /24 networks instead of the ~30 default pools, as every job gets
# its own bridge network and the suite runs many.
DOCKERD_BASE=(dockerd --host unix:///var/run/docker.sock --experimental --ip 127.0.0.1 --log-level warn
  --default-address-pool base=10.231.0.0/16,size=24)

try_dockerd() { # try_dockerd EXTRA_FLAGS...
  local pid i
  if [[ -s /var/run/docker.pid ]] && ! pid_alive "$(cat /var/run/docker.pid)"; then rm -f /var/run/docker.pid; fi
  log "docker: starting ${DOCKERD_BASE[*]} $* (log $DOCKERD_LOG)"
  printf '\n==== %s: %s %s\n' "$(date -Is)" "${DOCKERD_BASE[*]}" "$*" >>"$DOCKERD_LOG"
  setsid "${DOCKERD_BASE[@]}" "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$STATE/dockerd.pid"
  for ((i = 0; i < DOCKER_TIMEOUT; i++)); do
    pid_alive "$pid" || break
    docker_ok && { echo "$*" >"$STATE/dockerd.flags"; return 0; }
    sleep 1
  done
  log "docker: dockerd $* did not come up; last log lines:"
  tail -n 5 "$DOCKERD_LOG" >&2 || true
  stop_pidfile dockerd "$STATE/dockerd.pid" 30
  return 1
}

start_docker() {
  if [[ -n $USER_DOCKER_HOST ]]; then
    log "docker: using DOCKER_HOST=$USER_DOCKER_HOST (not started here)"
    return 0
  fi
  if docker_ok; then
    log "docker: engine already answering, reusing"
  else
    apt_install docker.io iptables
    command -v docker >/dev/null || die "no docker CLI after installing docker.io"
    local i
    if pgrep -x dockerd >/dev/null; then # starting up (or wedged): give it the timeout first
      log "docker: a dockerd is running but not answering yet; waiting"
      for ((i = 0; i < DOCKER_TIMEOUT; i++)); do docker_ok && break; sleep 1; done
    fi
    if ! docker_ok; then
      pgrep -x dockerd >/dev/null && die "a dockerd not started by this script is running but not answering; see its logs"
      try_dockerd --storage-driver overlay2 ||
        try_dockerd --storage-driver vfs ||
        try_dockerd --storage-driver vfs --iptables=false ||
        die "dockerd would not start; see $DOCKERD_LOG"
    fi
  fi
  log "docker: server $(docker version --format '{{.Server.Version}}' 2>/dev/null), client $(docker version --format '{{.Client.Version}}' 2>/dev/null), storage $(docker info --format '{{.Driver}}' 2>/dev/null), cgroup v$(docker info --format '{{.CgroupVersion}}' 2>/dev/null), experimental $(docker version --format '{{.Server.Experimental}}' 2>/dev/null)"
}

ensure_image() {
  if ! docker_ok; then log "image: no reachable docker engine, skipping $IMAGE"; return 0; fi
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image: $IMAGE present"
  else
    apt_install busybox-static
    local rootfs a
    rootfs=$(mktemp -d)
    mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,proc,sys,dev}
    chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    for a in $("$rootfs/bin/busybox" --list); do
      [[ $a == busybox ]] || ln -s busybox "$rootfs/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
    tar -C "$rootfs" --numeric-owner -c . |
      docker import --change 'CMD ["sh"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --message 'RESTfulSwarm test image (Debian busybox-static)' - "$IMAGE" >/dev/null
    rm -rf "$rootfs"
    log "image: built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE") bytes)"
  fi
  # The sample jobs name plain "busybox"; no registry is reachable, so alias ours.
  if ! docker image inspect busybox:latest >/dev/null 2>&1; then docker tag "$IMAGE" busybox:latest; fi
}

# ---------------------------------------------------------------- FerretDB

ensure_go() {
  if command -v go >/dev/null; then return 0; fi
  # No Go on this machine: fetch the toolchain module from the Go module proxy.
  local dir=/opt/rswarm-go/$GO_FALLBACK_VERSION proxy url zip
  if [[ ! -x $dir/bin/go ]]; then
    apt_install curl ca-certificates unzip
    proxy=$(printf '%s' "${GOPROXY:-https://proxy.golang.org}" | cut -d, -f1)
    [[ $proxy == http* ]] || proxy=https://proxy.golang.org
    url="$proxy/golang.org/toolchain/@v/v0.0.1-$GO_FALLBACK_VERSION.linux-amd64.zip"
    log "go: not installed; fetching $GO_FALLBACK_VERSION toolchain module"
    zip=$(mktemp --suffix .zip)
    curl -fsSL -o "$zip" "$url"
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    unzip -q "$zip" -d "$dir.tmp"; rm -f "$zip"
    chmod +x "$dir.tmp"/golang.org/toolchain@*/bin/* "$dir.tmp"/golang.org/toolchain@*/pkg/tool/*/* 2>/dev/null || true
    rm -rf "$dir"; mv "$dir.tmp"/golang.org/toolchain@* "$dir"; rm -rf "$dir.tmp"
  fi
  export PATH="$dir/bin:$PATH"
}

build_ferretdb() {
  if [[ -x $FERRET_BIN ]] && [[ -z $(find "$FERRET_SRC" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$FERRET_BIN") ]]; then
    return 0
  fi
  ensure_go
  log "ferretdb: building $FERRET_BIN with $(go version | cut -d' ' -f3)"
  (cd "$FERRET_SRC" && GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -o "$FERRET_BIN.tmp" . && mv -f "$FERRET_BIN.tmp" "$FERRET_BIN") >&2
}

start_ferretdb() {
  # Built even when a MongoDB is given or already running: the service-restart test starts its own
  # private FerretDB from this binary.
  build_ferretdb
  if [[ -n $USER_MONGO_URL ]]; then log "ferretdb: using MONGO_URL=$USER_MONGO_URL (not started here)"; return 0; fi
  local ver
  if tcp_open 127.0.0.1 27017; then
    ver=$(grep -ho 'FerretDB v[0-9][^)]*' "$STATE/ferretdb.log" 2>/dev/null | tail -1 || true)
    log "ferretdb: something already listens on 127.0.0.1:27017, reusing (${ver:-version unknown: not started by this script})"
    return 0
  fi
  build_ferretdb
  local dir pid i
  dir=$(mktemp -d /tmp/rswarm-ferretdb.XXXXXX)
  echo "$dir" >"$STATE/ferretdb.dir"
  : >"$STATE/ferretdb.log"
  setsid "$FERRET_BIN" --listen "$FERRET_LISTEN" --sqlite-dir "$dir" >>"$STATE/ferretdb.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$STATE/ferretdb.pid"
  for ((i = 0; i < 300; i++)); do
    pid_alive "$pid" || { cat "$STATE/ferretdb.log" >&2; die "ferretdb exited; see $STATE/ferretdb.log"; }
    grep -q '^ferretdb-embedded listening' "$STATE/ferretdb.log" && tcp_open 127.0.0.1 27017 && break
    sleep 0.1
  done
  tcp_open 127.0.0.1 27017 || die "ferretdb did not open 127.0.0.1:27017; see $STATE/ferretdb.log"
  ver=$(grep -o 'FerretDB v[0-9][^)]*' "$STATE/ferretdb.log" | head -1)
  log "ferretdb: started pid $pid, data $dir, $ver (log $STATE/ferretdb.log)"
}

# A private PostgreSQL cluster (unix socket only) under $STATE, and FerretDB's PostgreSQL handler
# on it. Benchmarks compare it with the SQLite handler; both are FerretDB v1 (same semantics:
# whole-collection scans, no atomic conditional updates), PostgreSQL is faster.
start_ferretdb_pg() {
  [[ ${RSWARM_FERRET_PG:-0} == 1 ]] || return 0
  if tcp_open 127.0.0.1 27018; then log "ferretdb-pg: something already listens on $FERRET_PG_LISTEN, reusing"; return 0; fi
  apt_install postgresql
  local bin pid i
  bin=$(pg_bin)
  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    mkdir -p "$PG_DATA"; chown postgres: "$PG_DATA"; chmod 700 "$PG_DATA"
    runuser -u postgres -- "$bin/initdb" -D "$PG_DATA" -A trust -U postgres >&2
  fi
  mkdir -p "$PG_SOCK"; chown postgres: "$PG_SOCK"
  touch "$STATE/postgresql.log"; chown postgres: "$STATE/postgresql.log"
  if ! runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "postgresql: starting ($PG_DATA, socket $PG_SOCK)"
    runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DATA" -l "$STATE/postgresql.log" -w \
      -o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -c max_connections=200" start >&2
  fi
  runuser -u postgres -- "$bin/psql" -h "$PG_SOCK" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='ferretdb'" | grep -q 1 ||
    runuser -u postgres -- "$bin/createdb" -h "$PG_SOCK" -U postgres ferretdb >&2
  build_ferretdb
  : >"$STATE/ferretdb-pg.log"
  setsid "$FERRET_BIN" --listen "$FERRET_PG_LISTEN" --postgresql-url "postgres://postgres@/ferretdb?host=$PG_SOCK" \
    >>"$STATE/ferretdb-pg.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$STATE/ferretdb-pg.pid"
  for ((i = 0; i < 300; i++)); do
    pid_alive "$pid" || { cat "$STATE/ferretdb-pg.log" >&2; die "ferretdb-pg exited; see $STATE/ferretdb-pg.log"; }
    grep -q '^ferretdb-embedded listening' "$STATE/ferretdb-pg.log" && tcp_open 127.0.0.1 27018 && break
    sleep 0.1
  done
  tcp_open 127.0.0.1 27018 || die "ferretdb-pg did not open $FERRET_PG_LISTEN; see $STATE/ferretdb-pg.log"
  log "ferretdb-pg: started pid $pid on $FERRET_PG_LISTEN, PostgreSQL handler (log $STATE/ferretdb-pg.log)"
}

# ---------------------------------------------------------------- OpenSSH
# The management-engine integration test starts its own sshd on a free loopback port with a
# temporary config; only the binaries are installed here. The system sshd is not started.
ensure_openssh() {
  local policy=/usr/sbin/policy-rc.d own_policy=0
  # policy-rc.d exit 101 = "do not start services": keeps the package's postinst from starting
  # the system sshd (only if no policy exists; ours is removed again).
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  fi
  local ok=1
  apt_install openssh-server openssh-client || ok=0
  if ((own_policy)); then rm -f "$policy"; fi
  ((ok)) || die "cannot install openssh-server openssh-client"
  [[ -x /usr/sbin/sshd ]] || die "openssh-server installed but /usr/sbin/sshd is missing"
  mkdir -p /run/sshd # privilege-separation directory sshd insists on
  log "openssh: $(/usr/sbin/sshd -V 2>&1 | head -1 || true)"
}

# ---------------------------------------------------------------- Chromium
# The dashboard test (test/integration/dashboard-ui.test.ts) drives Debian's chromium headless
# through puppeteer-core. A pre-set CHROMIUM_PATH means "use mine".
USER_CHROMIUM_PATH="${CHROMIUM_PATH:-}"
ensure_chromium() {
  if [[ -n $USER_CHROMIUM_PATH ]]; then
    [[ -x $USER_CHROMIUM_PATH ]] || die "CHROMIUM_PATH=$USER_CHROMIUM_PATH is not an executable"
    CHROMIUM_OUT=$USER_CHROMIUM_PATH
  else
    command -v chromium >/dev/null 2>&1 || apt_install chromium || die "cannot install chromium"
    CHROMIUM_OUT=$(command -v chromium) || die "chromium installed but not on PATH"
  fi
  log "chromium: $("$CHROMIUM_OUT" --version 2>/dev/null | head -1 || true) ($CHROMIUM_OUT)"
}

# ---------------------------------------------------------------- main

start_redis
ensure_openssh
ensure_criu
start_docker
ensure_image
start_ferretdb
start_ferretdb_pg
ensure_chromium

MONGO_URL_OUT=${USER_MONGO_URL:-mongodb://127.0.0.1:27017/rswarm_test}
REDIS_URL_OUT=${USER_REDIS_URL:-redis://127.0.0.1:6379}
DOCKER_HOST_OUT=${USER_DOCKER_HOST:-unix:///var/run/docker.sock}
ENV_LINE="export MONGO_URL=$(printf '%q' "$MONGO_URL_OUT") REDIS_URL=$(printf '%q' "$REDIS_URL_OUT") DOCKER_HOST=$(printf '%q' "$DOCKER_HOST_OUT") CHROMIUM_PATH=$(printf '%q' "$CHROMIUM_OUT")"
if [[ ${RSWARM_FERRET_PG:-0} == 1 ]]; then ENV_LINE+=" MONGO_PG_URL=mongodb://127.0.0.1:27018/rswarm_test"; fi
echo "$ENV_LINE" >"$STATE/env.sh"
log "ready in $((SECONDS - T0))s"
echo "$ENV_LINE"
