/* hako lab conntrack LAB NODE [--follow]: a member's conntrack table, or its events as they
 * happen, in conntrack-tools' format ([NEW] udp 17 30 src=... [UNREPLIED] src=...), through
 * libnetfilter_conntrack. The library is dlopen()ed: only this command needs it. */
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/util.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "lab/labcmd.h"

typedef int (*nfct_cb)(enum nf_conntrack_msg_type, struct nf_conntrack *, void *);

static struct {
	struct nfct_handle *(*open)(uint8_t, unsigned);
	int (*close)(struct nfct_handle *);
	int (*callback_register)(struct nfct_handle *, enum nf_conntrack_msg_type, nfct_cb, void *);
	int (*query)(struct nfct_handle *, const enum nf_conntrack_query, const void *);
	int (*catch)(struct nfct_handle *);
	int (*snprintf)(char *, unsigned, const struct nf_conntrack *, const unsigned, const unsigned,
			const unsigned);
	int (*fd)(struct nfct_handle *);
	void *handle;
} ct;

static const struct dl_symbol ct_symbols[] = {
	DL_SYMBOL("nfct_open", ct, open),
	DL_SYMBOL("nfct_close", ct, close),
	DL_SYMBOL("nfct_callback_register", ct, callback_register),
	DL_SYMBOL("nfct_query", ct, query),
	DL_SYMBOL("nfct_catch", ct, catch),
	DL_SYMBOL("nfct_snprintf", ct, snprintf),
	DL_SYMBOL("nfct_fd", ct, fd),
};

static int ct_load(void)
{
	return ct.handle ? 0
			 : dl_load("libnetfilter_conntrack.so.3", ct_symbols, ELEMENTSOF(ct_symbols), &ct,
				   &ct.handle);
}

static bool cfg_events = true; /* print_entry's data for events */

/* One line per entry or event; for events (data non-NULL) the type adds "[NEW]" in front. */
static int print_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *c, void *data)
{
	char buf[1024];
	ct.snprintf(buf, sizeof(buf), c, data ? type : NFCT_T_UNKNOWN, NFCT_O_DEFAULT, 0);
	printf("%s\n", buf);
	fflush(stdout);
	return NFCT_CB_CONTINUE;
}

static int dump(void)
{
	struct nfct_handle *h = ct.open(CONNTRACK, 0);
	if (!h)
		return -errno;
	uint32_t family = AF_INET;
	ct.callback_register(h, NFCT_T_ALL, print_entry, NULL);
	int r = ct.query(h, NFCT_Q_DUMP, &family) < 0 ? -errno : 0;
	ct.close(h);
	return r;
}

/* SIGINT and SIGTERM as a readable fd: libnfnetlink's receive loop retries on EINTR, so a
 * signal handler alone would wait for the next event (an idle NAT: forever). */
static int signals_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* Events until SIGINT/SIGTERM. The socket is non-blocking: nfct_catch() handles what has come
 * and returns EAGAIN, and poll() waits for an event or a signal. */
static int follow(void)
{
	_cleanup_close_ int sigfd = signals_fd();
	if (sigfd < 0)
		return sigfd;
	struct nfct_handle *h = ct.open(CONNTRACK, NFCT_ALL_CT_GROUPS);
	if (!h)
		return -errno;
	int fd = ct.fd(h);
	/* A large buffer: a burst of events must not overflow it (ENOBUFS loses events). */
	int size = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	int r = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ? -errno : 0;
	ct.callback_register(h, NFCT_T_ALL, print_entry, &cfg_events);
	while (r == 0) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			r = -errno;
		if (r < 0 || p[1].revents)
			break;
		if (p[0].revents && ct.catch(h) < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
			r = -errno;
	}
	ct.close(h);
	return r;
}

struct ct_cfg {
	bool follow;
};

static const struct opt ct_options[] = {
	{ "follow", 'f', OPT_NONE, NULL, "print events as they happen, like conntrack -E", opt_set_flag,
	  offsetof(struct ct_cfg, follow), NULL },
};

int lab_cmd_conntrack(int argc, char **argv)
{
	const struct opt_group group = OPT_GROUP(NULL, ct_options);
	struct ct_cfg cfg = { 0 };
	int i, status = lab_cmd_parse_node(&group, argc, argv, &cfg,
					   "Usage: hako lab conntrack LAB NODE [--follow]", &i);
	if (status >= 0)
		return status;
	_cleanup_topology_ struct lab_topology *t = NULL;
	if (lab_load_or_fail(argv[i], &t) < 0)
		return EXIT_HAKO_USAGE;
	if (!topology_has_member(t, argv[i + 1])) {
		log_error("lab %s has no node '%s'", argv[i], argv[i + 1]);
		return EXIT_HAKO_USAGE;
	}
	if (lab_check_local(t, argv[i + 1]) < 0)
		return EXIT_HAKO_USAGE;
	int r = ct_load();
	if (r < 0)
		return log_errno(r, "cannot load libnetfilter_conntrack.so.3"), EXIT_HAKO_FAILED;
	_cleanup_close_ int fd = lab_ns_open(argv[i], argv[i + 1]);
	if (fd < 0)
		return EXIT_HAKO_FAILED;
	if (setns(fd, CLONE_NEWNET) < 0)
		return log_errno(-errno, "cannot join the namespace of %s", argv[i + 1]), EXIT_HAKO_FAILED;
	r = cfg.follow ? follow() : dump();
	if (r < 0)
		return log_errno(r, "lab %s: %s: conntrack", argv[i], argv[i + 1]), EXIT_HAKO_FAILED;
	return 0;
}
