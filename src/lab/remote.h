/* hako on the other hosts of a lab, over ssh (lab up/down/status --all). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab/topology.h"

#define LAB_REMOTE_HOSTOPT (LAB_NAME_MAX + 16)
#define LAB_REMOTE_SSH_FAILED 255 /* ssh's own exit status: no connection, no login */

struct lab_remote_cmd {
	const char *const *args; /* after "hako", NULL-terminated: "lab", "up", "-" */
	bool host_option;        /* append --host=NAME of the host it runs on */
	const char *input;       /* its stdin (NULL: empty) */
	unsigned timeout_s;      /* ssh's ConnectTimeout= */
	unsigned deadline_s;     /* killed if not done by then; 0: no deadline */
};

struct lab_remote {
	pid_t pid; /* 0: not run on this host */
	int pidfd, out_fd, err_fd;
	int status; /* exit status, -1 killed */
	bool timed_out;
	char *out, *err;
};

/* Runs c on every host i with hosts[i] at once and waits for them all; r[] has t->n_hosts
 * entries, to free with lab_remote_done. Fails only when something could not be started. */
int lab_remote_run(const struct lab_topology *t, const bool *hosts, const struct lab_remote_cmd *c,
		   struct lab_remote *r);
void lab_remote_done(struct lab_remote *r, size_t n);
/* One line on why r failed: "unreachable: ssh's reason", "unreachable: no answer in N s", or
 * the last line hako said there. */
const char *lab_remote_why(const struct lab_remote *r, unsigned deadline_s, char *buf, size_t size);
