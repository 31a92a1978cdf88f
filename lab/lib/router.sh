# build_router NAME TYPE [key=value ...]
# keys: nat=none|preserve|random|sequential  filter=open|drop|rst  cone=0|1  hairpin=0|1
#       delay=MS jitter=MS loss=PERCENT  (WAN impairment)
#       ipv6=0|1  (1: IPv6 too, routed without NAT through the router's filter; see nodes.sh)
#       portmap=all|upnp|natpmp|pcp  igd=1|2  minlife=S  (miniupnpd, upnp routers only)
# key overrides a type's preset, which is how tests build deliberately misconfigured routers.

ROUTER_COUNT=0

build_router() {
  local name=$1 type=$2; shift 2
  local delay=0 jitter=0 loss=0 kv
  router_type_preset "$type"
  for kv in "$@"; do
    case $kv in
      nat=*) NAT=${kv#*=} ;; filter=*) FILTER=${kv#*=} ;;
      cone=*) CONE=${kv#*=} ;; hairpin=*) HAIRPIN=${kv#*=} ;;
      delay=*) delay=${kv#*=} ;; jitter=*) jitter=${kv#*=} ;; loss=*) loss=${kv#*=} ;;
      ipv6=*) IPV6=${kv#*=} ;;
      portmap=*) PORTMAP=${kv#*=} ;; igd=*) IGD=${kv#*=} ;; minlife=*) MINLIFE=${kv#*=} ;;
      *) die "router $name: unknown option '$kv'" ;;
    esac
  done
  case $PORTMAP in all|upnp|natpmp|pcp) ;; *) die "router $name: portmap must be all, upnp, natpmp or pcp" ;; esac
  case $IGD in 1|2) ;; *) die "router $name: igd must be 1 or 2" ;; esac
  case $IPV6 in 0|1) ;; *) die "router $name: ipv6 must be 0 or 1" ;; esac
  [ "$IPV6$CGN" != 11 ] || die "router $name: ipv6=1 is not supported with a CGN in front"
  [ ${#name} -le 12 ] || die "router name '$name' longer than 12 characters"
  ROUTER_COUNT=$((ROUTER_COUNT + 1))
  local r=$ROUTER_COUNT public=198.18.1.$ROUTER_COUNT
  local wan_node=$name
  mkdir -p "$RUN/routers"

  if [ "$CGN" = 1 ]; then
    # carrier-grade NAT: public address outside, 100.64.R.0/24 towards the home router
    wan_node=$name-cgn
    new_ns "$wan_node" 1
    attach_public "$wan_node" wan "$public"
    new_ns "$name" 1
    link "$(ns_name "$wan_node")" lan "$(ns_name "$name")" wan
    ip -n "$(ns_name "$wan_node")" addr add "100.64.$r.1/24" dev lan
    ip -n "$(ns_name "$name")" addr add "100.64.$r.2/24" dev wan
    ip -n "$(ns_name "$name")" route add default via "100.64.$r.1"
    WAN_IP=$public LAN_NET=100.64.$r.0/24 SEQ_BASE=20000 \
      load_rules "$wan_node" NAT=preserve FILTER=drop CONE=0 HAIRPIN=0 UPNP=0
    emit_node name="$wan_node" kind=cgn ns="$(ns_name "$wan_node")" ip="$public" lan=100.64.$r.1
  else
    new_ns "$name" 1
    attach_public "$name" wan "$public"
  fi

  local router_wan=$public lan_prefix=192.168.$r
  [ "$CGN" = 1 ] && router_wan=100.64.$r.2
  [ "$NAT" = none ] && { lan_prefix=198.19.$r
    ip -n "$(ns_name inet)" route add "$lan_prefix.0/24" via "$public"; }

  local ns; ns=$(ns_name "$name")
  ip -n "$ns" link add lan type bridge
  ip -n "$ns" addr add "$lan_prefix.1/24" dev lan
  ip -n "$ns" link set lan up
  local lan6_prefix=""
  if [ "$IPV6" = 1 ]; then
    lan6_prefix=2001:2:0:$r
    ipv6_internet
    enable_ipv6 "$name" 1
    ip -n "$ns" -6 addr add "2001:2::1:$r/64" dev wan nodad
    ip -n "$ns" -6 route add default via 2001:2::1
    ip -n "$ns" -6 addr add "$lan6_prefix::1/64" dev lan nodad
    ip -n "$(ns_name inet)" -6 route add "$lan6_prefix::/64" via "2001:2::1:$r"
  fi
  echo "LAN_PREFIX=$lan_prefix LAN_HOSTS=0 LAN6_PREFIX=$lan6_prefix" > "$RUN/routers/$name.env"

  WAN_IP=$router_wan LAN_NET=$lan_prefix.0/24 SEQ_BASE=$((20000 + 1024 * r)) load_rules "$name"
  local impairment=none
  [ "$delay$jitter$loss" = 000 ] || impairment=$(impair "$wan_node" "$delay" "$jitter" "$loss")
  [ "$UPNP" = 1 ] && start_miniupnpd "$name" "$lan_prefix"

  emit_node name="$name" kind=router ns="$ns" type="$type" ip="$public" wan="$router_wan" \
    lan="$lan_prefix.1" lannet="$lan_prefix.0/24" nat="$NAT" filter="$FILTER" cone="$CONE" \
    hairpin="$HAIRPIN" upnp="$UPNP" cgn="$CGN" impairment="$impairment" \
    portmap="$PORTMAP" igd="$IGD" ipv6="$IPV6"
}

# load_rules NODE [VAR=value ...] -> renders nft-rules.sh for NODE and loads it.
load_rules() {
  local node=$1; shift
  [ $# -eq 0 ] || local "$@"  # per-call overrides of NAT/FILTER/... (the CGN uses its own; a bare "local" would print every variable)
  nft_rules > "$RUN/$node.nft"
  nsx "$(ns_name "$node")" nft -f "$RUN/$node.nft" || die "nft rejected $RUN/$node.nft"
}

# start_miniupnpd ROUTER LAN_PREFIX -> miniupnpd with its own config, pid and lease file.
start_miniupnpd() {
  local name=$1 lan_prefix=$2 conf=$RUN/$1-miniupnpd.conf
  command -v miniupnpd >/dev/null || die "router $name: miniupnpd is not installed"
  grep -q '"name":"srv"' "$RUN/nodes.jsonl" 2>/dev/null ||
    die "router $name: declare the server first (miniupnpd learns its address by STUN)"
  cat > "$conf" <<CONF
ext_ifname=wan
listening_ip=lan
http_port=5000
# portmap=$PORTMAP: NAT-PMP and PCP share enable_natpmp (and port 5351); the router's nft input
# chain rejects the other version's packets when only one of them is wanted (lib/nft-rules.sh).
enable_upnp=$( [ "$PORTMAP" = natpmp ] || [ "$PORTMAP" = pcp ] && echo no || echo yes )
enable_natpmp=$( [ "$PORTMAP" = upnp ] && echo no || echo yes )
force_igd_desc_v1=$( [ "$IGD" = 1 ] && echo yes || echo no )
# 198.18.0.0/15 is "reserved" to miniupnpd 2.3.1 (it then refuses every mapping and
# rejects ext_ip=): it learns its public address from the lab's STUN server instead.
ext_perform_stun=yes
ext_stun_host=198.18.0.10
ext_stun_port=3478
upnp_table_name=lab
upnp_nat_table_name=lab
upnp_forward_chain=upnp_forward
upnp_nat_chain=upnp_prerouting
upnp_nat_postrouting_chain=upnp_postrouting
lease_file=$RUN/$name-upnp.leases
secure_mode=yes
system_uptime=yes
min_lifetime=$MINLIFE
max_lifetime=86400
uuid=$(cat /proc/sys/kernel/random/uuid)
allow 1024-65535 $lan_prefix.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
  spawn "$name" "$name-miniupnpd" miniupnpd -d -f "$conf" -P "$RUN/$name-miniupnpd.pid"
  local ready="ss -Hltn 'sport = :5000' | grep -q LISTEN"
  case $PORTMAP in natpmp|pcp) ready="ss -Hlun 'sport = :5351' | grep -q 5351" ;; esac
  wait_for 10 sh -c "ip netns exec '$(ns_name "$name")' sh -c \"$ready\"" ||
    die "miniupnpd in $name did not start: $(tail -5 "$RUN/logs/$name-miniupnpd.log")"
}
