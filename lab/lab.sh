#!/usr/bin/env bash
# Burrow NAT lab: builds simulated internets out of network namespaces.
#
#   lab.sh up PREFIX FILE|-        build the topology described in FILE (or stdin)
#   lab.sh down PREFIX             tear a run down (daemons, namespaces, state)
#   lab.sh gc                      tear down runs whose owner process is gone
#   lab.sh list                    list live runs and their namespaces
#   lab.sh exec PREFIX NODE CMD..  run CMD inside NODE's namespace
#   lab.sh demo [FILE]             build FILE (default topologies/demo.topo), print the build
#                                  time, run a reachability check, always tear down
#
# Topology file, one declaration per line ('#' starts a comment):
#   server                          the public server (two addresses, STUN)
#   router NAME TYPE [key=value..]  see lib/types.sh and lib/router.sh
#   host NAME ROUTER|internet       a host on ROUTER's LAN or directly on the internet
# "up" prints one JSON line per node ({"event":"node",...}) on stdout. If building fails,
# everything built so far is torn down. Needs root, iproute2, nftables, iptables, python3.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for f in common nft-rules types impair nodes router; do . "$LAB_DIR/lib/$f.sh"; done

check_prefix() {
  [[ $1 =~ ^[a-z][a-z0-9]{1,11}$ ]] || die "prefix '$1' must be 2-12 lowercase letters/digits"
}

cmd_up() {
  PREFIX=$1; local file=$2
  check_prefix "$PREFIX"
  RUN=$(run_dir "$PREFIX")
  [ -e "$RUN" ] && die "run $PREFIX already exists (lab.sh down $PREFIX)"
  mkdir -p "$RUN"
  echo "${LAB_OWNER_PID:-$PPID}" > "$RUN/owner"
  trap 'status=$?; [ $status -eq 0 ] || { log "build failed, tearing down $PREFIX"; teardown "$PREFIX"; }' EXIT
  trap 'exit 130' INT TERM
  local spec; spec=$(if [ "$file" = - ]; then cat; else cat "$file"; fi)
  build_internet
  local kind rest
  while read -r kind rest; do
    # shellcheck disable=SC2086
    case $kind in
      ''|'#'*) ;;
      server) build_server ;;
      router) build_router $rest ;;
      host)   build_host $rest ;;
      *) die "unknown declaration '$kind'" ;;
    esac
  done <<< "$spec"
  trap - EXIT
}

cmd_gc() {
  local dir prefix owner
  for dir in "$LAB_RUNS"/*/; do
    [ -d "$dir" ] || continue
    prefix=$(basename "$dir"); owner=$(cat "$dir/owner" 2>/dev/null || echo 0)
    if ! kill -0 "$owner" 2>/dev/null; then log "gc: $prefix (owner $owner gone)"; teardown "$prefix"; fi
  done
}

cmd_list() {
  local dir
  for dir in "$LAB_RUNS"/*/; do
    [ -d "$dir" ] || continue
    echo "$(basename "$dir") owner=$(cat "$dir/owner" 2>/dev/null) namespaces: $(tr '\n' ' ' < "$dir/namespaces" 2>/dev/null)"
  done
}

cmd_demo() {
  local file=${1:-$LAB_DIR/topologies/demo.topo}
  prefix=demo$(head -c2 /dev/urandom | od -An -tx1 | tr -d ' \n')
  trap 'teardown "$prefix"' EXIT
  local t0 t1
  t0=$(date +%s%N)
  LAB_OWNER_PID=$$ bash "$0" up "$prefix" "$file" > /dev/null
  t1=$(date +%s%N)
  local nodes; nodes=$(wc -l < "$(run_dir "$prefix")/nodes.jsonl")
  echo "built $(basename "$file"): $nodes nodes in $(( (t1 - t0) / 1000000 )) ms"
  local host ok=0 fail=0
  for host in $(grep '"kind":"host"' "$(run_dir "$prefix")/nodes.jsonl" | sed 's/.*"name":"\([^"]*\)".*/\1/'); do
    # coturn on the server listens on TCP 3478 too
    if ip netns exec "$prefix-$host" "$PY" "$LAB_DIR/tools/labprobe.py" connect 198.18.0.10:3478 2>&1 | grep -q '"open"'; then ok=$((ok + 1)); else fail=$((fail + 1)); echo "  $host cannot reach the server"; fi
  done
  echo "hosts reaching the server: $ok ok, $fail failed"
  t0=$(date +%s%N); teardown "$prefix"; t1=$(date +%s%N); trap - EXIT
  echo "teardown: $(( (t1 - t0) / 1000000 )) ms"
  [ "$fail" = 0 ]
}

[ $# -ge 1 ] || { sed -n '2,20p' "$0"; exit 2; }
cmd=$1; shift
case $cmd in
  up)   [ $# -eq 2 ] || die "usage: lab.sh up PREFIX FILE|-"; cmd_up "$@" ;;
  down) [ $# -eq 1 ] || die "usage: lab.sh down PREFIX"; check_prefix "$1"; teardown "$1" ;;
  gc)   cmd_gc ;;
  list) cmd_list ;;
  exec) [ $# -ge 3 ] || die "usage: lab.sh exec PREFIX NODE CMD..."; p=$1 n=$2; shift 2; exec ip netns exec "$p-$n" "$@" ;;
  demo) cmd_demo "$@" ;;
  *) die "unknown command '$cmd'" ;;
esac
