#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "machine/control.h"
#include "machine/envfile.h"
#include "machine/machine.h"
#include "machine/mntns.h"
#include "tap.h"

struct seen {
	char log[512];
};

static int collect(void *u, const char *key, const char *value)
{
	struct seen *s = u;
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof(s->log) - n, "%s=<%s>;", key, value);
	return 0;
}

static void test_os_release_quoting(void)
{
	struct seen s = { "" };
	const char *text = "# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID='12'\n"
			   "PRETTY_NAME=\"say \\\"hi\\\" \\\\ $x\"\n  BAD LINE\n1X=no\nEMPTY=\nOPEN=\"x\n";
	CHECK(envfile_parse(text, collect, &s) == 0);
	CHECK_STREQ(s.log, "NAME=<Debian GNU/Linux>;ID=<debian>;VERSION_ID=<12>;"
			   "PRETTY_NAME=<say \"hi\" \\ $x>;EMPTY=<>;");
}

static void test_state_round_trip(void)
{
	struct machine_state a = {
		.name = "m1",
		.uuid = "0123",
		.root = "/var/lib/machines/a \"b\" $c",
		.cgroup = "",
		.netns = "/run/netns/x",
		.init = "/bin/busybox",
		.leader = 42,
		.supervisor = 41,
		.since_usec = 1700000000123456ULL,
		.poweroff_signal = SIGUSR2,
		.reboot_signal = SIGTERM,
		.caps = 0xa80425fbULL,
		.no_new_privs = 1,
		.seccomp_add = "keyctl @sync",
		.seccomp_remove = "getpid",
		.cgroups = "/sys/fs/cgroup/unified/hako/m1 /sys/fs/cgroup/memory/hako/m1",
	};
	char *text = NULL;
	struct machine_state b;
	CHECK(machine_state_format(&a, &text) == 0);
	CHECK(machine_state_parse(text, &b) == 0);
	CHECK_STREQ(b.root, a.root);
	CHECK_STREQ(b.netns, a.netns);
	CHECK(b.leader == 42 && b.supervisor == 41 && b.since_usec == a.since_usec);
	CHECK(b.poweroff_signal == SIGUSR2 && b.reboot_signal == SIGTERM);
	CHECK(b.caps == a.caps && b.no_new_privs == 1);
	CHECK_STREQ(b.seccomp_add, a.seccomp_add);
	CHECK_STREQ(b.seccomp_remove, a.seccomp_remove);
	char **dirs = NULL;
	CHECK(machine_cgroup_dirs(&b, &dirs) == 0 && strv_length(dirs) == 2);
	CHECK_STREQ(dirs[1], "/sys/fs/cgroup/memory/hako/m1");
	strv_free(dirs);
	machine_state_done(&b);
	/* A state without CGROUPS= (an older supervisor's): the one CGROUP=; none: empty. */
	CHECK(machine_state_parse("NAME=x\nROOT=/r\nLEADER=2\nSUPERVISOR=1\nCGROUP=/cg/x\n", &b) == 0);
	CHECK(machine_cgroup_dirs(&b, &dirs) == 0 && strv_length(dirs) == 1);
	CHECK_STREQ(dirs[0], "/cg/x");
	strv_free(dirs);
	machine_state_done(&b);
	CHECK(machine_state_parse("NAME=x\nROOT=/r\nLEADER=2\nSUPERVISOR=1\n", &b) == 0);
	CHECK(machine_cgroup_dirs(&b, &dirs) == 0 && dirs && !dirs[0]);
	strv_free(dirs);
	machine_state_done(&b);
	free(text);
	CHECK(machine_state_parse("NAME=x\nROOT=/r\n", &b) == -EBADMSG); /* no leader */
	CHECK(machine_state_parse("NAME=x\nROOT=/r\nLEADER=-4\nSUPERVISOR=1\n", &b) == -EINVAL);
}

static void test_control_messages(void)
{
	struct control_request r;
	char buf[CONTROL_MSG_MAX];
	CHECK(control_parse("poweroff 10", 11, &r) == 0 && r.verb == CTL_POWEROFF && r.arg == 10);
	CHECK(control_parse("login", 5, &r) == 0 && r.verb == CTL_LOGIN);
	CHECK(control_parse("login 1", 7, &r) == -EBADMSG);
	CHECK(control_parse("poweroff", 8, &r) == -EBADMSG);
	CHECK(control_parse("kill -9", 7, &r) == -EBADMSG);
	CHECK(control_parse("kill 9x", 7, &r) == -EBADMSG);
	CHECK(control_parse("halt", 4, &r) == -EBADMSG);
	CHECK(control_parse("kill\0 9", 7, &r) == -EBADMSG);
	r = (struct control_request){ CTL_KILL_ALL, 15 };
	CHECK(control_format(&r, buf) == 0);
	CHECK_STREQ(buf, "kill-all 15");
}

static void test_init_signals(void)
{
	int p, r;
	machine_init_signals("/usr/lib/systemd/systemd", 0, &p, &r);
	CHECK(p == SIGRTMIN + 4 && r == SIGINT);
	machine_init_signals("/bin/busybox", 0, &p, &r);
	CHECK(p == SIGUSR2 && r == SIGTERM);
	machine_init_signals("/sbin/myinit", SIGPWR, &p, &r);
	CHECK(p == SIGPWR && r == 0);
	machine_init_signals(NULL, 0, &p, &r);
	CHECK(p == SIGTERM && r == 0);
}

/* The parent and last component of copy-to's, copy-from's and bind's paths. */
static void test_path_split(void)
{
	static const struct {
		const char *in, *dir, *name;
		// clang-format off
	} cases[] = {
		{ "/etc/passwd", "/etc", "passwd" }, { "/x", "/", "x" },      { "rel", ".", "rel" },
		{ "a/b//", "a", "b" },               { "/a/b/c/", "/a/b", "c" }, { "/", NULL, NULL },
		{ "/a/..", NULL, NULL },             { "/a/.", NULL, NULL },     { "", NULL, NULL },
	};
	// clang-format on
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = NULL, *name = NULL;
		int r = path_split(cases[i].in, &dir, &name);
		if (!cases[i].dir)
			CHECK(r == -EINVAL);
		else {
			CHECK(r == 0);
			CHECK_STREQ(dir, cases[i].dir);
			CHECK_STREQ(name, cases[i].name);
		}
		free(dir);
		free(name);
	}
	char *dir = NULL; /* bind wants the parent only */
	CHECK(path_split("/srv/mnt/", &dir, NULL) == 0);
	CHECK_STREQ(dir, "/srv");
	free(dir);
}

int main(void)
{
	RUN(test_path_split);
	RUN(test_os_release_quoting);
	RUN(test_state_round_trip);
	RUN(test_control_messages);
	RUN(test_init_signals);
	TAP_END();
}
