/* The tree-swap race of tests/integration/escape.bats (issue 14, item 3): exchanges two paths
 * with renameat2(RENAME_EXCHANGE) in a tight loop, as someone who can write a tree's parent
 * directory would while root starts a container from it.
 *
 *   swapper PATH1 PATH2 READY_FILE
 *
 * Creates READY_FILE once swapping, and on SIGTERM stops with both paths as they were. */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int exchange(const char *a, const char *b)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: swapper PATH1 PATH2 READY_FILE\n");
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	unsigned long n = 0;
	for (; !stop; n++) {
		if (exchange(argv[1], argv[2]) < 0) {
			perror("renameat2");
			return 1;
		}
		if (n == 0) {
			int fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
		}
	}
	if (n % 2 && exchange(argv[1], argv[2]) < 0) {
		perror("renameat2");
		return 1;
	}
	printf("%lu exchanges\n", n + n % 2);
	return 0;
}
