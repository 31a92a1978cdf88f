# Router types: each is a preset of the knobs nft_rules understands (see nft-rules.sh),
# plus CGN (a carrier-grade NAT namespace in front) and UPNP (runs miniupnpd).
# Adding a type = adding a case here (and, if it needs a new knob, a branch in nft-rules.sh),
# plus its expected behaviour in tests/Burrow.Lab.Tests/RouterType.cs.

ROUTER_TYPES="open firewall nat-drop nat-rst symmetric sequential full-cone double upnp"

router_type_preset() {
  NAT=preserve FILTER=drop CONE=0 HAIRPIN=0 UPNP=0 CGN=0 IPV6=0
  PORTMAP=all IGD=2 MINLIFE=60   # miniupnpd knobs (upnp routers only)
  case $1 in
    open)       NAT=none FILTER=open ;;   # public LAN, routed, no firewall
    firewall)   NAT=none ;;               # public LAN, stateful firewall, drops unsolicited
    nat-drop)   ;;                        # port-preserving NAT, silently drops unsolicited
    nat-rst)    FILTER=rst ;;             # port-preserving NAT, answers unsolicited with RST
    symmetric)  NAT=random ;;             # new random port for every flow
    sequential) NAT=sequential ;;         # new port for every flow, +1 each time
    full-cone)  CONE=1 ;;                 # endpoint-independent mapping and filtering
    double)     CGN=1 ;;                  # CGN (100.64.0.0/10) in front of a home NAT
    upnp)       UPNP=1 ;;                 # nat-drop + miniupnpd (UPnP IGD, NAT-PMP, PCP)
    *) die "unknown router type '$1' (known: $ROUTER_TYPES)" ;;
  esac
}
