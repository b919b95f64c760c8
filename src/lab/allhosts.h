/* lab up, down and status --all: every host's part of a lab, this host's here and the others'
 * over ssh (`ssh ADDRESS hako lab up - --host=NAME`, the file on stdin). */
#pragma once
#include <stdbool.h>

#include "lab/topology.h"

/* Before --all hands the file to the other hosts on stdin: it names the lab ([Lab] Name=), as
 * the file's name does not go with it. Logs one line. */
int lab_all_check(const struct lab_topology *t);
/* Builds this host's part (if here: t->local_host is set), then every other host's at once.
 * When any fails, each says why in one line and every part that came up goes down again. */
int lab_up_all(const struct lab_topology *t, const char *text, bool here);
/* lab keys --all: every host's key pair made on that host (this one's here, if here), then each
 * host's public key printed as "[Host NAME]" and its "PublicKey=" line, to paste into the file.
 * Nothing is printed when a host fails; each failure is one line. */
int lab_keys_all(const struct lab_topology *t, const char *text, bool here);
/* Removes every host's part (this one's if here); each failure is one line. */
int lab_down_all(const struct lab_topology *t, bool here);
/* Prints one line per host: "host NAME ADDRESS up|incomplete|this host, up|unreachable: why|
 * what hako said there", asking the others with ssh's ConnectTimeout=timeout_s, killing an ssh
 * not done in twice that. Returns how many hosts are not up (or a negative errno). */
int lab_status_hosts(const struct lab_topology *t, unsigned timeout_s);
