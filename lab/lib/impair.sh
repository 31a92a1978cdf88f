# impair NODE DELAY_MS JITTER_MS LOSS_PERCENT
# WAN impairment of a router, applied to both directions of its "wan" interface
# (so a round trip through it gets 2 x delay). Uses tc netem where the kernel has it;
# otherwise loss is an nft rule and delay a userspace delayer (tools/delayer.py)
# behind an iptables NFQUEUE target (nft's own "queue" statement is missing here too),
# applied to the WAN's inbound traffic and to the LAN's outbound, both before the NAT.

netem_available() {
  # probe once per run on a throwaway dummy interface inside the internet namespace
  if [ -z "${NETEM_OK:-}" ]; then
    local ns; ns=$(ns_name inet)
    NETEM_OK=0
    ip -n "$ns" link add nmprobe type dummy 2>/dev/null &&
      ip netns exec "$ns" tc qdisc add dev nmprobe root netem delay 1ms 2>/dev/null && NETEM_OK=1
    ip -n "$ns" link del nmprobe 2>/dev/null || true
  fi
  [ "$NETEM_OK" = 1 ]
}

impair() {
  local node=$1 delay=${2:-0} jitter=${3:-0} loss=${4:-0}
  local ns; ns=$(ns_name "$node")
  [ "$delay$jitter$loss" = 000 ] && return 0
  if netem_available; then
    local args=(); [ "$delay" != 0 ] && args+=(delay "${delay}ms" "${jitter}ms")
    [ "$loss" != 0 ] && args+=(loss "${loss}%")
    nsx "$ns" tc qdisc add dev wan root netem "${args[@]}"
    nsx "$(ns_name inet)" tc qdisc add dev "$node" root netem "${args[@]}"
    echo netem
    return
  fi
  if [ "$loss" != 0 ]; then
    # loss in 1/10000ths: numgen random mod 10000 < N drops N/10000 of the packets. Each direction is dropped
    # where it arrives off the link -- inbound at the router before conntrack, outbound at the internet side --
    # as on a wire. (Dropped in the router's postrouting, an outbound SYN had its NAT mapping made and then
    # discarded unconfirmed: a sequential NAT's port was used up and the retransmission got the next one.)
    local n; n=$(awk -v l="$loss" 'BEGIN { printf "%d", l * 100 }')
    nsx "$ns" nft -f - <<NFT
table inet impair {
    chain in  { type filter hook prerouting priority raw - 10; policy accept;
                iifname "wan" numgen random mod 10000 < $n drop
    }
}
NFT
    # (the internet namespace bridges its ports, so the frame is dropped as it enters the bridge from the router;
    # IP frames only: a lost ARP reply would make the router's neighbours fail and drop far more than N)
    nsx "$(ns_name inet)" nft -f - <<NFT
table bridge impair_${node//[^a-zA-Z0-9_]/_} {
    chain in  { type filter hook prerouting priority -200; policy accept;
                iifname "$node" meta protocol { ip, ip6 } numgen random mod 10000 < $n drop
    }
}
NFT
  fi
  if [ "$delay" != 0 ] || [ "$jitter" != 0 ]; then
    spawn "$node" "$node-delayer" "$PY" "$LAB_DIR/tools/delayer.py" \
      --queue 0 --delay-ms "$delay" --jitter-ms "$jitter"
    wait_for 5 grep -q '"event": *"ready"' "$RUN/logs/$node-delayer.log" ||
      die "delayer in $node did not start: $(cat "$RUN/logs/$node-delayer.log")"
    # Both directions are held in the raw table, before conntrack sees the packet, so that the NAT decides
    # on a packet when its delay is over -- as a real NAT does, with the delay on the wire beyond it. (Held
    # after NAT instead, an outbound SYN's mapping would be confirmed only when its delay ended, and a peer's
    # SYN arriving meanwhile -- the very moment of a hole punch -- would race it.) Outbound, that is traffic
    # from the LAN that leaves the router; what is for the router itself (PCP, NAT-PMP, UPnP) is not delayed.
    nsx "$ns" iptables-nft -t raw -A PREROUTING -i wan -j NFQUEUE --queue-num 0 --queue-bypass
    nsx "$ns" iptables-nft -t raw -A PREROUTING -i lan -m addrtype ! --dst-type LOCAL -j NFQUEUE --queue-num 0 --queue-bypass
  fi
  echo nft+nfqueue
}
