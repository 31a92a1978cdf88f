# nft_rules -> prints the nftables ruleset of one router namespace on stdout.
# Inputs (shell variables):
#   WAN_IP LAN_NET          router's public address, LAN prefix (e.g. 192.168.3.0/24)
#   NAT      none | preserve | random | sequential      (how outbound mappings are made)
#   FILTER   open | drop | rst                          (what unsolicited inbound gets)
#   CONE     0 | 1   inbound to a mapped port is forwarded from anyone (full cone)
#   HAIRPIN  0 | 1   LAN -> own public address:mapped port loops back to the LAN
#   UPNP     0 | 1   adds the chains miniupnpd fills in (upnp_forward/prerouting/postrouting)
#   PORTMAP  all | upnp | natpmp | pcp   with natpmp (pcp) only, PCP (NAT-PMP) requests to port 5351 --
#            told apart by their first byte, the version: 2 for PCP, 0 for NAT-PMP -- get ICMP
#            port-unreachable, as from a gateway that does not speak that protocol
#   SEQ_BASE         first port of the sequential allocator
# Interfaces are always "wan" and "lan" inside a router namespace.

nft_unsolicited() {          # rules for unsolicited inbound traffic arriving on the WAN
  case $FILTER in
    open) echo "iifname \"wan\" accept" ;;
    drop) echo "iifname \"wan\" drop" ;;
    rst)  echo "iifname \"wan\" meta l4proto tcp reject with tcp reset
        iifname \"wan\" reject with icmp type port-unreachable" ;;
    *) die "unknown filter '$FILTER'" ;;
  esac
}

nft_snat() {                 # the source-NAT statement for LAN -> WAN
  case $NAT in
    preserve)   echo "snat ip to $WAN_IP" ;;     # Linux keeps the source port when it is free
    random)     echo "snat ip to $WAN_IP fully-random" ;;
    sequential)
      # nft 1.0.6 puts "numgen ... offset B" ports in host byte order (steps of 256), so
      # the counter goes through a literal map: the n-th new mapping gets port SEQ_BASE+n.
      local i elems=()
      for i in $(seq 0 1023); do elems+=("$i : $((SEQ_BASE + i))"); done
      local IFS=,
      echo "meta l4proto { tcp, udp } snat ip to $WAN_IP : numgen inc mod 1024 map { ${elems[*]} }"
      echo "        snat ip to $WAN_IP"            # ICMP and other protocols
      ;;
    *) die "unknown nat '$NAT'" ;;
  esac
}

nft_rules() {
  local unsolicited; unsolicited=$(nft_unsolicited)
  cat <<NFT
table inet lab {
    # mapped public port -> LAN address . port, recorded for every new outbound TCP/UDP flow
    map mapped_tcp { type inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout 10m; }
    map mapped_udp { type inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout 10m; }

    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan" ct state established,related accept
        iifname "wan" icmp type echo-request accept
$( [ "${IPV6:-0}" = 1 ] && echo "        # IPv6 neighbour discovery on the internet segment (what ARP is to IPv4)
        iifname \"wan\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept" )
$( [ "$UPNP" = 1 ] && echo "        # miniupnpd's STUN check: the answers to CHANGE-REQUEST come from the other address/port
        iifname \"wan\" ip saddr { 198.18.0.10, 198.18.0.11 } udp sport { 3478, 3479 } accept" )
$( [ "$UPNP" = 1 ] && case ${PORTMAP:-all} in
     natpmp) echo "        iifname \"lan\" udp dport 5351 @th,64,8 2 reject with icmp type port-unreachable" ;;
     pcp)    echo "        iifname \"lan\" udp dport 5351 @th,64,8 0 reject with icmp type port-unreachable" ;;
   esac )
        $unsolicited
    }

    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        iifname "lan" accept
        iifname "wan" ct status dnat accept
$( [ "$UPNP" = 1 ] && echo "        jump upnp_forward" )
        $unsolicited
    }

    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
$( [ "$UPNP" = 1 ] && echo "        jump upnp_prerouting" )
$( [ "$CONE" = 1 ] && [ "$NAT" != none ] && echo "        iifname \"wan\" ip daddr $WAN_IP dnat ip to tcp dport map @mapped_tcp
        iifname \"wan\" ip daddr $WAN_IP dnat ip to udp dport map @mapped_udp" )
$( [ "$HAIRPIN" = 1 ] && [ "$NAT" != none ] && echo "        iifname \"lan\" ip daddr $WAN_IP dnat ip to tcp dport map @mapped_tcp
        iifname \"lan\" ip daddr $WAN_IP dnat ip to udp dport map @mapped_udp" )
    }

    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
$( [ "$UPNP" = 1 ] && echo "        jump upnp_postrouting" )
$( [ "$HAIRPIN" = 1 ] && [ "$NAT" != none ] && echo "        iifname \"lan\" oifname \"lan\" ct status dnat snat ip to $WAN_IP" )
$( [ "$NAT" != none ] && echo "        oifname \"wan\" ip saddr $LAN_NET $(nft_snat)" )
    }

    chain record_mappings {
        # after source NAT: the packet's source port is the mapped (public) port
        type filter hook postrouting priority srcnat + 10; policy accept;
        oifname "wan" ct state new ct status snat meta l4proto tcp update @mapped_tcp { tcp sport : ct original ip saddr . ct original proto-src }
        oifname "wan" ct state new ct status snat meta l4proto udp update @mapped_udp { udp sport : ct original ip saddr . ct original proto-src }
    }
$( [ "$UPNP" = 1 ] && echo "
    chain upnp_forward { }
    chain upnp_prerouting { }
    chain upnp_postrouting { }" )
}
NFT
}
