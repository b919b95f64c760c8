/* lab up, down and status --all: every host's part of a lab, this host's here and the others'
 * over ssh (`ssh ADDRESS hako lab up - --host=NAME`, the file on stdin). */
#pragma once
#include <stdbool.h>

#include "lab/topology.h"

/* Builds this host's part (if here: t->local_host is set), then every other host's at once.
 * When any fails, each says why in one line and every part that came up goes down again. */
int lab_up_all(const struct lab_topology *t, const char *text, bool here);
/* Removes every host's part (this one's if here); each failure is one line. */
int lab_down_all(const struct lab_topology *t, bool here);
/* Prints one line per host: "host NAME ADDRESS up|incomplete|this host, up|unreachable: why|
 * what hako said there", asking the others with ssh's ConnectTimeout=timeout_s, killing an ssh
 * not done in twice that. Returns how many hosts are not up (or a negative errno). */
int lab_status_hosts(const struct lab_topology *t, unsigned timeout_s);
