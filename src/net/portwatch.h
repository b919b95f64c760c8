/* Port forwards to a container whose addresses hako does not assign (-p with --network-veth,
 * --network-bridge=, --network-zone= or another private network), as nspawn's expose-port.c
 * does them: a watcher listens to the container's address changes (rtnetlink groups
 * RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR, in the container's network namespace) and keeps
 * the forwards' elements in ports4/ports6 (src/net/rules.h) pointing at the container's first
 * global IPv4 and IPv6 address: one nftables transaction per change, none while it has none.
 *
 * The watcher is a child of the hako that supervises the container (hako run, or a machine's
 * supervisor) and dies with it; portwatch_stop() then removes its forwards, or, if that hako was
 * killed, the next command's network_collect_stale() does from the port claims. */
#pragma once
#include <sys/types.h>

#include "net/netconfig.h"

/* Subscribes to the address changes of netns_fd's namespace and forks the watcher, which
 * forwards to the addresses there now and follows them. */
int portwatch_start(const struct port_spec *ports, unsigned n, int netns_fd, pid_t *ret_pid);
/* Kills and reaps the watcher (pid 0: none), then removes every forward of ports. */
void portwatch_stop(pid_t pid, const struct port_spec *ports, unsigned n);
/* Removes the forwards of ports in both families, whichever exist (errors ignored). */
void portwatch_forget(const struct port_spec *ports, unsigned n);
