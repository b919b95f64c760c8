/* lab up/down/status --all: this host's part here, every other host's over ssh (remote.c), from
 * the same file, so that each host computes the same plan (docs/multihost.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "lab/allhosts.h"
#include "lab/encrypt.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "lab/remote.h"

#define CONNECT_TIMEOUT_S 10

/* Every host but this one (here: t->local_host is one of them). */
static void others(const struct lab_topology *t, bool here, bool *hosts)
{
	for (size_t i = 0; i < t->n_hosts; i++)
		hosts[i] = !here || (int)i != t->local_host;
}

/* Logs "lab L: host H: why" for each host of hosts[] that failed; clears it there. Returns how
 * many failed. */
static size_t report(const struct lab_topology *t, const struct lab_remote *r, bool *hosts, const char *what)
{
	char why[320];
	size_t bad = 0;
	for (size_t i = 0; i < t->n_hosts; i++) {
		if (!hosts[i] || (r[i].pid && r[i].status == 0))
			continue;
		log_error("lab %s: host %s: %s: %s", t->name, t->hosts[i].name, what,
			  r[i].pid ? lab_remote_why(&r[i], 0, why, sizeof(why)) : "not started");
		hosts[i] = false;
		bad++;
	}
	return bad;
}

static size_t down_remote(const struct lab_topology *t, bool *hosts)
{
	const char *args[] = { "lab", "down", t->name, NULL };
	struct lab_remote_cmd c = { .args = args, .timeout_s = CONNECT_TIMEOUT_S };
	struct lab_remote r[t->n_hosts];
	int ret = lab_remote_run(t, hosts, &c, r);
	size_t bad = report(t, r, hosts, "lab down");
	lab_remote_done(r, t->n_hosts);
	return ret < 0 ? bad + 1 : bad;
}

/* hako ARGS --host=NAME on each host of hosts[], the file's text on its stdin. */
static int run_with_file(const struct lab_topology *t, const bool *hosts, const char *const *args,
			 const char *text, struct lab_remote *r)
{
	struct lab_remote_cmd c = {
		.args = args, .host_option = true, .input = text, .timeout_s = CONNECT_TIMEOUT_S
	};
	return lab_remote_run(t, hosts, &c, r);
}

int lab_all_check(const struct lab_topology *t)
{
	if (!t->name_from_file || !t->n_hosts)
		return 0;
	log_error("%s: --all needs [Lab] Name=: the other hosts read the file from stdin, without its name",
		  t->file);
	return -EINVAL;
}

int lab_up_all(const struct lab_topology *t, const char *text, bool here)
{
	bool hosts[t->n_hosts];
	if (here) {
		int r = lab_up(t, text);
		if (r < 0)
			return r;
	}
	others(t, here, hosts);
	const char *args[] = { "lab", "up", "-", NULL };
	struct lab_remote r[t->n_hosts];
	int ret = run_with_file(t, hosts, args, text, r);
	size_t bad = report(t, r, hosts, "lab up");
	lab_remote_done(r, t->n_hosts);
	if (ret == 0 && bad == 0)
		return 0;
	/* Nothing left half made: the hosts that came up go down again. */
	down_remote(t, hosts);
	if (here)
		lab_down(t->name);
	return ret < 0 ? ret : -EREMOTEIO;
}

int lab_down_all(const struct lab_topology *t, bool here)
{
	bool hosts[t->n_hosts];
	others(t, here, hosts);
	size_t bad = down_remote(t, hosts);
	if (here) {
		int r = lab_down(t->name);
		if (r == -ENOENT)
			log_error("lab %s: not on this host", t->name);
		if (r < 0)
			bad++;
	}
	return bad ? -EREMOTEIO : 0;
}

/* This host's part when it is not up: half made, or not here at all. */
static const char *here_state(const char *lab)
{
	_cleanup_free_ char *p = lab_path(lab, ".");
	return p && access(p, F_OK) == 0 ? "incomplete" : "not up";
}

int lab_status_hosts(const struct lab_topology *t, unsigned timeout_s)
{
	bool hosts[t->n_hosts];
	others(t, t->local_host >= 0, hosts);
	const char *args[] = { "lab", "status", t->name, NULL };
	struct lab_remote_cmd c = { .args = args, .timeout_s = timeout_s, .deadline_s = 2 * timeout_s };
	struct lab_remote r[t->n_hosts];
	int ret = lab_remote_run(t, hosts, &c, r);
	int bad = 0;
	char why[320], addr[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < t->n_hosts; i++) {
		const struct lab_host *h = &t->hosts[i];
		inet_ntop(h->addr.family, h->addr.bytes, addr, sizeof(addr));
		printf("host %-10s %-16s ", h->name, addr);
		if (!hosts[i])
			printf("this host, %s\n", lab_is_up(t->name) ? "up" : here_state(t->name));
		else if (r[i].pid && r[i].status == 0 && strstr(r[i].out, ": up\n"))
			printf("up\n");
		else if (r[i].pid && r[i].status == 0)
			printf("incomplete\n");
		else
			printf("%s\n", r[i].pid ? lab_remote_why(&r[i], c.deadline_s, why, sizeof(why))
						: "not asked");
		if (hosts[i] && !(r[i].pid && r[i].status == 0 && strstr(r[i].out, ": up\n")))
			bad++;
	}
	lab_remote_done(r, t->n_hosts);
	return ret < 0 ? ret : bad;
}

/* What lab keys printed on host i, checked: one PublicKey= line of a well-formed key, and nothing
 * else, since it is pasted into the file (a host cannot slip other settings, or a terminal's
 * escape sequences, in). */
static int remote_key(const struct lab_topology *t, size_t i, const struct lab_remote *r,
		      char key[static WG_KEY_B64_SIZE])
{
	static const char prefix[] = "PublicKey=";
	uint8_t k[WG_KEY_SIZE];
	bool line = strncmp(r->out, prefix, sizeof(prefix) - 1) == 0;
	const char *v = line ? r->out + sizeof(prefix) - 1 : "";
	if (!line || strlen(v) != WG_KEY_B64_SIZE || v[WG_KEY_B64_SIZE - 1] != '\n') {
		log_error("lab %s: host %s: lab keys: not one PublicKey= line", t->name, t->hosts[i].name);
		return -EBADMSG;
	}
	memcpy(key, v, WG_KEY_B64_SIZE - 1);
	key[WG_KEY_B64_SIZE - 1] = 0;
	if (wg_key_parse(key, k) < 0) {
		log_error("lab %s: host %s: lab keys: not a WireGuard key", t->name, t->hosts[i].name);
		return -EBADMSG;
	}
	return 0;
}

static int keys_remote(const struct lab_topology *t, const char *text, bool *hosts,
		       char (*keys)[WG_KEY_B64_SIZE])
{
	const char *args[] = { "lab", "keys", "-", NULL };
	struct lab_remote r[t->n_hosts];
	int ret = run_with_file(t, hosts, args, text, r);
	size_t bad = report(t, r, hosts, "lab keys");
	for (size_t i = 0; i < t->n_hosts && ret == 0; i++)
		if (hosts[i] && remote_key(t, i, &r[i], keys[i]) < 0)
			bad++;
	lab_remote_done(r, t->n_hosts);
	return ret < 0 ? ret : bad ? -EREMOTEIO : 0;
}

int lab_keys_all(const struct lab_topology *t, const char *text, bool here)
{
	bool hosts[t->n_hosts];
	char keys[t->n_hosts][WG_KEY_B64_SIZE];
	if (here) {
		int r = lab_keys(t, keys[t->local_host]);
		if (r < 0)
			return r;
	}
	others(t, here, hosts);
	int r = keys_remote(t, text, hosts, keys);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n_hosts; i++)
		printf("[Host %s]\nPublicKey=%s\n", t->hosts[i].name, keys[i]);
	return 0;
}
