#!/bin/sh
# Open MPI launch agent (--mca plm_rsh_agent) for the test hosts: where ssh would log in to a
# host, this enters the host's network namespace, gives it its own hostname (a UTS namespace)
# and runs the daemon's command line there. Only names made by netns.sh are accepted.
#   ns_agent.sh HOST COMMAND...
host=$1
shift
case "$host" in
  cs[0-9]*h[0-9]*) ;;
  *) echo "ns_agent.sh: '$host' is not a test host (cs<pid>h<i>)" >&2; exit 2 ;;
esac
ip netns list | awk '{print $1}' | grep -qx "$host" || { echo "ns_agent.sh: no namespace '$host'" >&2; exit 2; }
exec ip netns exec "$host" unshare --uts sh -c 'hostname "$1" && shift && exec /bin/sh -c "$*"' ns_agent "$host" "$@"
