# Shared helpers for lab.sh: naming, run-state directory, namespaces, processes.
# Everything the lab creates lives in network namespaces named "$PREFIX-<node>";
# nothing is ever added to the root namespace (no veth, route or firewall rule).

LAB_DIR=${LAB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LAB_RUNS=${BURROW_LAB_RUNS:-$LAB_DIR/.runs}
PY=${BURROW_LAB_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

die() { echo "lab: $*" >&2; exit 1; }
log() { [ -n "${LAB_QUIET:-}" ] || echo "lab: $*" >&2; }

# run_dir PREFIX -> state directory of one run (pids, configs, logs).
run_dir() { echo "$LAB_RUNS/$1"; }

ns_name() { echo "$PREFIX-$1"; }          # node name -> namespace name
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Emits one JSON-lines event on stdout describing a node (read by the C# fixture).
# Usage: emit_node name=r1 kind=router ...  (values must not contain quotes or spaces)
emit_node() {
  local out='{"event":"node"' kv
  for kv in "$@"; do out+=",\"${kv%%=*}\":\"${kv#*=}\""; done
  echo "$out}" | tee -a "$RUN/nodes.jsonl"
}

# new_ns NODE [forwarding 0|1] -> creates the namespace with the lab's sysctl baseline:
# lo up, rp_filter and ICMP redirects off, bridged frames not sent through iptables/nft.
new_ns() {
  local ns; ns=$(ns_name "$1")
  ip netns add "$ns"
  echo "$ns" >> "$RUN/namespaces"
  ip -n "$ns" link set lo up
  nsx "$ns" sh -c "
    for k in all default; do
      echo 0 > /proc/sys/net/ipv4/conf/\$k/rp_filter
      echo 0 > /proc/sys/net/ipv4/conf/\$k/send_redirects
      echo 0 > /proc/sys/net/ipv4/conf/\$k/accept_redirects
    done
    echo ${2:-0} > /proc/sys/net/ipv4/ip_forward
    echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
    [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && {
      echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables
      echo 0 > /proc/sys/net/bridge/bridge-nf-call-arptables; } || true
  "
}

# link NS_A IF_A NS_B IF_B -> a veth pair created directly inside the two namespaces.
link() {
  ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

# spawn NODE NAME CMD... -> starts CMD in NODE's namespace in the background,
# records its pid in $RUN/pids/NAME.pid and its output in $RUN/logs/NAME.log.
spawn() {
  local ns; ns=$(ns_name "$1"); local name=$2; shift 2
  mkdir -p "$RUN/pids" "$RUN/logs"
  setsid ip netns exec "$ns" "$@" </dev/null >"$RUN/logs/$name.log" 2>&1 &
  echo $! > "$RUN/pids/$name.pid"
}

# wait_for SECONDS CMD... -> polls CMD every 20 ms until it succeeds (daemon readiness).
wait_for() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}

# kill_pids PID... -> TERM all, then KILL whatever is left after 1 s. Only ever called with
# pids this lab recorded or pids found inside this run's own namespaces.
kill_pids() {
  local pid i left
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for i in $(seq 50); do
    left=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.02
  done
  kill -KILL "${left[@]}" 2>/dev/null || true
}

# teardown PREFIX -> kills recorded daemons and anything still running inside the run's
# namespaces, deletes the namespaces (which deletes their veths and bridges), removes state.
teardown() {
  local prefix=$1 dir f ns pids=() namespaces
  dir=$(run_dir "$prefix")
  namespaces=$(ip netns list | awk '{print $1}' | grep -E "^$prefix-" || true)
  for f in "$dir"/pids/*.pid; do [ -e "$f" ] && pids+=("$(cat "$f")"); done
  for ns in $namespaces; do pids+=($(ip netns pids "$ns" 2>/dev/null)); done
  kill_pids "${pids[@]}"
  for ns in $namespaces; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$dir"
}
