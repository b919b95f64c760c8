#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "container/userns.h"
#include "tap.h"

static void test_parse_mode(void)
{
	struct userns_config u = {};
	const char *why = NULL;
	CHECK(userns_parse_mode(&u, "pick", &why) == 0 && u.mode == USERNS_PICK && u.mode_set);
	CHECK(userns_parse_mode(&u, NULL, &why) == 0 && u.mode == USERNS_PICK);
	CHECK(userns_parse_mode(&u, "no", &why) == 0 && u.mode == USERNS_NO);
	CHECK(userns_parse_mode(&u, "identity", &why) == 0 && u.mode == USERNS_IDENTITY);
	CHECK(userns_parse_mode(&u, "yes", &why) == 0 && u.mode == USERNS_FIXED && u.from_tree_owner);
	CHECK(userns_parse_mode(&u, "1000000", &why) == 0 && u.mode == USERNS_FIXED && u.base == 1000000 &&
	      u.count == 65536 && !u.from_tree_owner);
	CHECK(userns_parse_mode(&u, "1000000:1000", &why) == 0 && u.count == 1000);
	CHECK(userns_parse_mode(&u, "0", &why) == 0 && u.mode == USERNS_NO); /* boolean 0 */
	CHECK(userns_parse_mode(&u, "0:65536", &why) == -EINVAL);
	CHECK(userns_parse_mode(&u, "100:0", &why) == -EINVAL);
	CHECK(userns_parse_mode(&u, "4294967295:2", &why) == -EINVAL);
	CHECK(userns_parse_mode(&u, "maybe", &why) == -EINVAL);
	CHECK(userns_parse_mode(&u, "12:", &why) == -EINVAL);
	CHECK(userns_parse_ownership(&u, "chown", &why) == 0 && u.ownership == USERNS_OWNERSHIP_CHOWN);
	CHECK(userns_parse_ownership(&u, "idmap", &why) == -EINVAL);
}

static void test_host_ids(void)
{
	const uint32_t base = 0x00100000;
	CHECK(!userns_text_has_id_in(NULL, base));
	CHECK(!userns_text_has_id_in("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
				     base));
	CHECK(userns_text_has_id_in("root:x:0:0::/:/bin/sh\nsvc:x:1048577:1048577::/:/bin/false\n", base));
	CHECK(userns_text_has_id_in("grp:x:1114111:", base)); /* the last id, no newline */
	CHECK(!userns_text_has_id_in("grp:x:1114112:\n", base));
	/* Broken lines count for nothing. */
	CHECK(!userns_text_has_id_in("x\n:\nbad:x:1048577x:\nempty:x::\n\n", base));
	/* /etc/subuid ranges that overlap the range at base, or not. */
	CHECK(!userns_subids_overlap(NULL, base));
	CHECK(!userns_subids_overlap("alice:100000:65536\n", base));
	CHECK(userns_subids_overlap("alice:100000:65536\nbob:1000000:100000\n", base));
	CHECK(userns_subids_overlap("1000:1114111:1", base)); /* the last id, no newline */
	CHECK(!userns_subids_overlap("carol:1114112:65536\n", base));
	CHECK(!userns_subids_overlap("broken\n:\nx:y:z\n", base));
}

static void test_pick(void)
{
	char dir[] = "/tmp/hako-test-userns-XXXXXX";
	CHECK(mkdtemp(dir));
	uint32_t a, a2, b;
	int fa = -1, fb = -1, fa2 = -1;
	CHECK(userns_pick(dir, "alpha", &a, &fa) == 0);
	CHECK(a >= USERNS_PICK_FIRST && a <= USERNS_PICK_LAST && a % USERNS_RANGE_SIZE == 0);
	CHECK(userns_pick(dir, "beta", &b, &fb) == 0 && b != a);
	/* A second "alpha" while the first runs must not share its range. */
	CHECK(userns_pick(dir, "alpha", &a2, &fa2) == 0 && a2 != a && a2 != b);
	close(fa2);
	close(fa);
	/* Released: the same name gets its range back (stable). Records are per name, so the last
	 * "alpha" record points at a2 now; either is fine as long as it is free and stable. */
	uint32_t again, again2;
	int fg = -1, fg2 = -1;
	CHECK(userns_pick(dir, "alpha", &again, &fg) == 0);
	close(fg);
	CHECK(userns_pick(dir, "alpha", &again2, &fg2) == 0 && again2 == again);
	close(fg2);
	close(fb);
	CHECK(rm_rf(dir) == 0);
}

/* A child in a new user namespace whose maps the parent writes; returns its pid. */
static pid_t userns_child(int *ready_pipe)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		char c;
		(void)!read(p[0], &c, 1); /* wait until killed */
		_exit(0);
	}
	close(p[0]);
	*ready_pipe = p[1];
	return pid;
}

static void test_idmapped_tree(void)
{
	if (geteuid() != 0) {
		printf("# skipped: needs root\n");
		return;
	}
	char dir[] = "/tmp/hako-test-idmap-XXXXXX";
	CHECK(mkdtemp(dir));
	char file[64];
	snprintf(file, sizeof(file), "%s/f", dir);
	CHECK(write_file(file, "x", O_WRONLY | O_CREAT, 0644) == 0);
	CHECK(chown(file, 0, 0) == 0);

	int keep = -1;
	pid_t pid = userns_child(&keep);
	CHECK(pid > 0);
	usleep(20000); /* let it unshare */
	const uint32_t base = 0x00090000;
	CHECK(userns_write_maps(pid, base, 65536) == 0);
	char nspath[64];
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/user", (int)pid);
	int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	CHECK(nsfd >= 0);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	int tree = userns_idmapped_tree(dirfd, nsfd);
	close(dirfd);
	if (tree < 0)
		printf("# idmapped tree: %s\n", strerror(-tree));
	CHECK(tree >= 0);
	struct stat st;
	CHECK(tree >= 0 && fstatat(tree, "f", &st, 0) == 0 && st.st_uid == base && st.st_gid == base);
	CHECK(stat(file, &st) == 0 && st.st_uid == 0); /* the disk is unchanged */
	close(tree);
	close(nsfd);
	close(keep);
	waitpid(pid, NULL, 0);
	CHECK(rm_rf(dir) == 0);
}

static void test_chown_tree(void)
{
	if (geteuid() != 0)
		return;
	char dir[] = "/tmp/hako-test-chown-XXXXXX";
	CHECK(mkdtemp(dir));
	char file[64];
	snprintf(file, sizeof(file), "%s/f", dir);
	CHECK(write_file(file, "x", O_WRONLY | O_CREAT, 04755) == 0);
	CHECK(chown(file, 0, 0) == 0 && chmod(file, 04755) == 0);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	CHECK(userns_chown_tree(dirfd, 0x90000) == 0);
	struct stat st;
	CHECK(stat(file, &st) == 0 && st.st_uid == 0x90000 && (st.st_mode & 07777) == 04755);
	CHECK(userns_chown_tree(dirfd, -0x90000) == 0);
	CHECK(stat(file, &st) == 0 && st.st_uid == 0);
	CHECK(userns_chown_tree(dirfd, -1) == -ERANGE);
	close(dirfd);
	CHECK(rm_rf(dir) == 0);
}

int main(void)
{
	RUN(test_parse_mode);
	RUN(test_host_ids);
	RUN(test_pick);
	RUN(test_idmapped_tree);
	RUN(test_chown_tree);
	TAP_END();
}
