/* [::1]:HOSTPORT of a container's port forwards, relayed in user space (as docker-proxy
 * does): IPv6 has no route_localnet, so a DNAT of ::1 towards a bridge cannot be answered (the
 * reply, de-NATed to ::1 as it arrives from the bridge, fails the input route lookup and is
 * dropped). Every other address, and 127.0.0.1, is DNAT'ed by nftables (src/net/rules.h).
 *
 * The relay is a child of the supervising hako (it dies with it), with one socket per forward
 * on [::1]:HOSTPORT, all served by one process and one event loop. A TCP connection is a pair of
 * sockets, at most 256 at once (more wait in the backlog); a UDP client (address and port) gets
 * a socket of its own, for the answers, until it is idle for two minutes. Both go to the
 * container's IPv4 address at CONTAINERPORT (what the service sees as its client is the
 * container's gateway, as for 127.0.0.1). */
#pragma once
#include <sys/types.h>

#include "net/cidr.h"
#include "net/netconfig.h"

/* Binds every host port on [::1] (a port in use there is an error, logged) and forks the
 * relay; *ret_pid is 0 if there are no ports. */
int relay_start(const struct port_spec *ports, unsigned n, const struct inet_addr *to, pid_t *ret_pid);
/* Kills and reaps the relay. */
void relay_stop(pid_t pid);
/* Forks a child that dies with its parent (PDEATHSIG SIGKILL), with default signal handling
 * (hako blocks the signals it reads from a signalfd): the relay, the address watcher. */
pid_t fork_tied(void);
