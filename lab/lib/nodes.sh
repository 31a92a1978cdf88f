# The internet, the public server and the hosts.
#
# Address plan (all inside the run's namespaces):
#   198.18.0.0/16     the internet segment: bridge br0 in namespace "inet" (198.18.0.1, the
#                     default gateway of every public node; it also routes 198.19.0.0/16)
#   198.18.0.10, .11  the public server's two addresses
#   198.18.1.R        WAN address of router number R (1..250)
#   198.18.2.N        host number N placed directly on the internet
#   198.19.R.0/24     public LAN of an open/firewall router R
#   192.168.R.0/24    private LAN of NAT router R (router .1, hosts .10, .11, ...)
#   100.64.R.0/24     between the CGN (.1) and the home router (.2) of double-NAT router R
# and over IPv6, only in a run with a router declared with ipv6=1 (IPv6 is off everywhere else):
#   2001:2::/64       the internet segment (RFC 5180 benchmarking space, like 198.18.0.0/15): inet ::1
#   2001:2::1:R       WAN address of router R
#   2001:2:0:R::/64   LAN of router R (router ::1, hosts ::10, ::11, ...): no NAT over IPv6, only the
#                     router's filter (its stateful firewall drops, resets or lets in unsolicited inbound)

# enable_ipv6 NODE [FORWARDING 0|1] -> IPv6 on in NODE's namespace, on every interface so far and to come
# (no duplicate address detection, no router advertisements: every address and route is set by hand).
enable_ipv6() {
  nsx "$(ns_name "$1")" sh -c "
    for d in /proc/sys/net/ipv6/conf/*; do
      echo 0 > \$d/accept_dad; echo 0 > \$d/accept_ra; echo 0 > \$d/disable_ipv6
    done
    echo ${2:-0} > /proc/sys/net/ipv6/conf/all/forwarding
  "
}

# ipv6_internet -> the internet namespace routes IPv6 too (once per run).
ipv6_internet() {
  [ -e "$RUN/ipv6" ] && return 0
  enable_ipv6 inet 1
  ip -n "$(ns_name inet)" -6 addr add 2001:2::1/64 dev br0 nodad
  touch "$RUN/ipv6"
}

build_internet() {
  new_ns inet 1
  local ns; ns=$(ns_name inet)
  ip -n "$ns" link add br0 type bridge
  ip -n "$ns" addr add 198.18.0.1/16 dev br0
  ip -n "$ns" link set br0 up
  emit_node name=inet kind=internet ns="$ns" ip=198.18.0.1
}

# attach_public NODE IP -> plugs NODE's eth0/wan into the internet bridge with address IP.
attach_public() {
  local node=$1 ifname=$2 ip=$3
  local ns inet; ns=$(ns_name "$node"); inet=$(ns_name inet)
  link "$inet" "$node" "$ns" "$ifname"
  ip -n "$inet" link set "$node" master br0
  ip -n "$ns" addr add "$ip/16" dev "$ifname"
  ip -n "$ns" route add default via 198.18.0.1
}

build_server() {
  new_ns srv
  local ns; ns=$(ns_name srv)
  attach_public srv eth0 198.18.0.10
  ip -n "$ns" addr add 198.18.0.11/16 dev eth0
  if command -v turnserver >/dev/null; then
    # STUN (RFC 5389/5780) on both addresses; miniupnpd routers learn their address from it
    spawn srv stun turnserver --stun-only --no-cli --no-tls --no-dtls -n \
      --listening-ip 198.18.0.10 --listening-ip 198.18.0.11 --listening-port 3478 \
      --pidfile "$RUN/turnserver.pid" --log-file stdout --simple-log
    wait_for 10 sh -c "ip netns exec '$ns' ss -Hlun 'sport = :3478' | grep -q 198.18.0.11" ||
      die "turnserver did not start: $(tail -5 "$RUN/logs/stun.log")"
  fi
  emit_node name=srv kind=server ns="$ns" ip=198.18.0.10 ip2=198.18.0.11 stun=198.18.0.10:3478
}

HOST_COUNT=0
# build_host NAME ROUTER|internet
build_host() {
  local name=$1 on=$2 ip gw prefix
  new_ns "$name"
  local ns; ns=$(ns_name "$name")
  if [ "$on" = internet ]; then
    HOST_COUNT=$((HOST_COUNT + 1))
    ip=198.18.2.$HOST_COUNT
    attach_public "$name" eth0 "$ip"
    emit_node name="$name" kind=host ns="$ns" ip="$ip" router=internet gateway=198.18.0.1
    return
  fi
  [ -f "$RUN/routers/$on.env" ] || die "host $name: no router '$on' (declare routers first)"
  local LAN_PREFIX LAN_HOSTS LAN6_PREFIX=""
  # shellcheck disable=SC1090
  . "$RUN/routers/$on.env"        # LAN_PREFIX, LAN_HOSTS, LAN6_PREFIX (empty: no IPv6)
  LAN_HOSTS=$((LAN_HOSTS + 1))
  echo "LAN_PREFIX=$LAN_PREFIX LAN_HOSTS=$LAN_HOSTS LAN6_PREFIX=$LAN6_PREFIX" > "$RUN/routers/$on.env"
  ip=$LAN_PREFIX.$((9 + LAN_HOSTS)) gw=$LAN_PREFIX.1
  local rns; rns=$(ns_name "$on")
  link "$rns" "$name" "$ns" eth0
  ip -n "$rns" link set "$name" master lan
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" route add default via "$gw"
  local ip6=""
  if [ -n "$LAN6_PREFIX" ]; then
    ip6=$LAN6_PREFIX::$((9 + LAN_HOSTS))
    enable_ipv6 "$name"
    ip -n "$ns" -6 addr add "$ip6/64" dev eth0 nodad
    ip -n "$ns" -6 route add default via "$LAN6_PREFIX::1"
  fi
  emit_node name="$name" kind=host ns="$ns" ip="$ip" router="$on" gateway="$gw" ${ip6:+ip6=$ip6}
}
