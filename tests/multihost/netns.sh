#!/usr/bin/env bash
# Test hosts on one machine: N network namespaces ("hosts") joined through veth pairs to a
# bridge that lives in its own namespace (the "switch"), so nothing is added to the machine's
# own network namespace. Addresses are 10.213.0.1..N/24 and exist only inside these namespaces;
# no namespace has a route anywhere else.
#
#   netns.sh check                     exit 0 if namespaces can be made here, else 77 and the reason
#   netns.sh up PREFIX N [MTU]         make hosts PREFIXh0..PREFIXh{N-1} and the switch PREFIXsw
#   netns.sh shape PREFIX RATE         limit every host link to RATE (tc units, e.g. 1gbit), both
#                                      directions (host egress and switch port egress), with HTB
#   netns.sh unshape PREFIX            remove the shaping
#   netns.sh counters PREFIX           "host tx_bytes rx_bytes retrans_segs" per host, from the
#                                      kernel counters (eth0 statistics, TCP RetransSegs of the
#                                      namespace's /proc/net/snmp)
#   netns.sh qdisc-stats PREFIX        tc -s output of every shaped interface (drops, overlimits)
#   netns.sh down PREFIX               remove everything with this prefix (safe to repeat)
#   netns.sh stale                     remove leftovers of earlier runs whose process has gone
#
# A host's name is also its namespace name; /etc/netns/<host>/hosts maps every test host name to
# its address inside the namespaces (ip netns exec bind-mounts it over /etc/hosts), so the
# machine's /etc/hosts is never touched.
set -euo pipefail

SUBNET=10.213.0
NETNS_ETC=/etc/netns

die() { echo "netns.sh: $*" >&2; exit 2; }

valid_prefix() {
  # The prefix names only what this harness makes: "cs" then digits (the owner's pid).
  [[ "$1" =~ ^cs[0-9]{1,8}$ ]] || die "bad prefix '$1' (expected cs<digits>)"
}

cmd_check() {
  [ "$(id -u)" -eq 0 ] || { echo "not root: network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN)"; exit 77; }
  command -v ip >/dev/null || { echo "the ip command (iproute2) is missing"; exit 77; }
  command -v tc >/dev/null || { echo "the tc command (iproute2) is missing"; exit 77; }
  command -v unshare >/dev/null || { echo "the unshare command (util-linux) is missing"; exit 77; }
  local probe="csprobe$$"
  if ! err=$(ip netns add "$probe" 2>&1); then
    echo "network namespaces are not permitted here: $err"; exit 77
  fi
  if ! err=$(ip -n "$probe" link add vprobe0 type veth peer name vprobe1 2>&1); then
    ip netns del "$probe" 2>/dev/null || true
    echo "veth pairs cannot be made here: $err"; exit 77
  fi
  if ! err=$(ip -n "$probe" link add brprobe type bridge 2>&1); then
    ip netns del "$probe" 2>/dev/null || true
    echo "bridges cannot be made here: $err"; exit 77
  fi
  if ! err=$(ip netns exec "$probe" unshare --uts true 2>&1); then
    ip netns del "$probe" 2>/dev/null || true
    echo "UTS namespaces (per-host hostnames) are not permitted here: $err"; exit 77
  fi
  ip netns del "$probe"
  echo "ok"
}

cmd_up() {
  local prefix=$1 n=$2 mtu=${3:-1500}
  valid_prefix "$prefix"
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 16 ] || die "bad host count '$n' (1..16)"
  [[ "$mtu" =~ ^[0-9]+$ ]] && [ "$mtu" -ge 1280 ] && [ "$mtu" -le 9000 ] || die "bad MTU '$mtu' (1280..9000)"
  local sw="${prefix}sw"
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 mtu "$mtu" type bridge
  ip -n "$sw" link set br0 up
  # Let the bridge forward at once (no STP listening/learning delay on its ports).
  ip netns exec "$sw" sh -c 'echo 0 > /sys/class/net/br0/bridge/forward_delay' 2>/dev/null || true

  local hosts="127.0.0.1 localhost"$'\n'
  for ((i = 0; i < n; i++)); do
    hosts+="$SUBNET.$((i + 1)) ${prefix}h$i"$'\n'
  done
  for ((i = 0; i < n; i++)); do
    local h="${prefix}h$i"
    ip netns add "$h"
    # IPv4 only: no IPv6 link-local chatter on the counted interfaces.
    ip netns exec "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
    mkdir -p "$NETNS_ETC/$h"
    printf '%s' "$hosts" > "$NETNS_ETC/$h/hosts"
    ip -n "$h" link set lo up
    ip -n "$h" link add eth0 mtu "$mtu" type veth peer name "p$i" netns "$sw"
    ip -n "$sw" link set "p$i" mtu "$mtu" master br0 up
    ip -n "$h" addr add "$SUBNET.$((i + 1))/24" dev eth0
    ip -n "$h" link set eth0 up
  done
  # Bounded wait until every link is up and every bridge port forwards (state 3).
  for ((i = 0; i < n; i++)); do
    local ok=0
    for ((t = 0; t < 50; t++)); do
      if [ "$(ip netns exec "$sw" cat "/sys/class/net/p$i/brport/state")" = 3 ] &&
         [ "$(ip netns exec "${prefix}h$i" cat /sys/class/net/eth0/operstate)" = up ]; then
        ok=1; break
      fi
      sleep 0.1
    done
    [ "$ok" -eq 1 ] || die "the link of host ${prefix}h$i did not come up"
  done
}

hosts_of() {
  ip netns list | awk '{print $1}' | grep -E "^$1h[0-9]+$" | sort -V || true
}

# One shaped link direction on DEV inside namespace NS: an HTB tree whose root class has the
# link's rate. Small packets (IP length < 1024: TCP ACKs, Open MPI's rendezvous and control
# messages) take a priority class, bulk data a deep FIFO, so the control message that starts the
# next ring step never waits behind megabytes of queued data (this kernel has no fq_codel/netem),
# and the deep FIFO keeps TCP from losing packets (no retransmitted bytes on the wire).
shape_dev() {
  local ns=$1 dev=$2 rate=$3
  local x=(ip netns exec "$ns" tc)
  "${x[@]}" qdisc del dev "$dev" root 2>/dev/null || true
  "${x[@]}" qdisc add dev "$dev" root handle 1: htb default 20 r2q 1000
  "${x[@]}" class add dev "$dev" parent 1: classid 1:1 htb rate "$rate" ceil "$rate" burst 128k cburst 128k
  "${x[@]}" class add dev "$dev" parent 1:1 classid 1:10 htb rate "$rate" ceil "$rate" burst 128k cburst 128k prio 0
  "${x[@]}" class add dev "$dev" parent 1:1 classid 1:20 htb rate "$rate" ceil "$rate" burst 128k cburst 128k prio 1
  "${x[@]}" qdisc add dev "$dev" parent 1:10 handle 10: pfifo limit 1000
  "${x[@]}" qdisc add dev "$dev" parent 1:20 handle 20: bfifo limit "${SHAPE_QUEUE:-32mb}"
  "${x[@]}" filter add dev "$dev" parent 1: protocol ip prio 1 u32 match u16 0x0000 0xfc00 at 2 flowid 1:10
}

cmd_shape() {
  local prefix=$1 rate=$2
  valid_prefix "$prefix"
  [[ "$rate" =~ ^[0-9]+(kbit|mbit|gbit)$ ]] || die "bad rate '$rate' (e.g. 100mbit, 1gbit)"
  local i=0
  for h in $(hosts_of "$prefix"); do
    shape_dev "$h" eth0 "$rate"                     # host -> switch
    shape_dev "${prefix}sw" "p${h##*h}" "$rate"     # switch -> host
    i=$((i + 1))
  done
  [ "$i" -gt 0 ] || die "no hosts with prefix $prefix"
}

cmd_unshape() {
  local prefix=$1
  valid_prefix "$prefix"
  for h in $(hosts_of "$prefix"); do
    ip netns exec "$h" tc qdisc del dev eth0 root 2>/dev/null || true
    ip netns exec "${prefix}sw" tc qdisc del dev "p${h##*h}" root 2>/dev/null || true
  done
}

cmd_counters() {
  local prefix=$1
  valid_prefix "$prefix"
  for h in $(hosts_of "$prefix"); do
    ip netns exec "$h" sh -c 'printf "%s %s %s %s\n" "$0" "$(cat /sys/class/net/eth0/statistics/tx_bytes)" "$(cat /sys/class/net/eth0/statistics/rx_bytes)" "$(awk "/^Tcp:/ { if (col) { print \$col; exit } for (i = 1; i <= NF; i++) if (\$i == \"RetransSegs\") col = i }" /proc/net/snmp)"' "$h"
  done
}

cmd_qdisc_stats() {
  local prefix=$1
  valid_prefix "$prefix"
  for h in $(hosts_of "$prefix"); do
    echo "== $h eth0 (host -> switch)"; ip netns exec "$h" tc -s qdisc show dev eth0
    echo "== ${prefix}sw p${h##*h} (switch -> host)"; ip netns exec "${prefix}sw" tc -s qdisc show dev "p${h##*h}"
  done
}

cmd_down() {
  local prefix=$1
  valid_prefix "$prefix"
  # Processes still inside a host (an orted after a failure) would keep nothing alive once
  # the namespace is gone, but end them so they do not linger.
  for h in $(hosts_of "$prefix"); do
    local pids
    pids=$(ip netns pids "$h" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$h" 2>/dev/null || true
    rm -rf "${NETNS_ETC:?}/$h"
  done
  ip netns del "${prefix}sw" 2>/dev/null || true
}

cmd_stale() {
  local seen
  seen=$(ip netns list | awk '{print $1}' | sed -nE 's/^cs([0-9]+)(h[0-9]+|sw)$/\1/p' | sort -u)
  for pid in $seen; do
    kill -0 "$pid" 2>/dev/null || cmd_down "cs$pid"
  done
  # /etc/netns entries whose namespace has gone
  for d in "$NETNS_ETC"/cs*h*; do
    [ -d "$d" ] || continue
    ip netns list | awk '{print $1}' | grep -qx "$(basename "$d")" || rm -rf "$d"
  done
}

case "${1:-}" in
  check) cmd_check ;;
  up) [ $# -ge 3 ] || die "usage: up PREFIX N [MTU]"; cmd_up "$2" "$3" "${4:-1500}" ;;
  shape) [ $# -eq 3 ] || die "usage: shape PREFIX RATE"; cmd_shape "$2" "$3" ;;
  unshape) [ $# -eq 2 ] || die "usage: unshape PREFIX"; cmd_unshape "$2" ;;
  counters) [ $# -eq 2 ] || die "usage: counters PREFIX"; cmd_counters "$2" ;;
  qdisc-stats) [ $# -eq 2 ] || die "usage: qdisc-stats PREFIX"; cmd_qdisc_stats "$2" ;;
  down) [ $# -eq 2 ] || die "usage: down PREFIX"; cmd_down "$2" ;;
  stale) cmd_stale ;;
  *) die "unknown command '${1:-}' (check, up, shape, unshape, counters, qdisc-stats, down, stale)" ;;
esac
