#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fdpass.h"
#include "base/util.h"
#include "tap.h"

static void test_parse_numbers(void)
{
	uint64_t v;
	int i;
	CHECK(parse_u64("42", &v) == 0 && v == 42);
	CHECK(parse_u64("", &v) == -EINVAL);
	CHECK(parse_u64("-1", &v) == -EINVAL);
	CHECK(parse_u64("12x", &v) == -EINVAL);
	CHECK(parse_u64("99999999999999999999999", &v) == -ERANGE);
	CHECK(parse_int("-7", &i) == 0 && i == -7);
	CHECK(parse_int("2147483648", &i) == -ERANGE);
	CHECK(parse_int("-2147483648", &i) == 0 && i == -2147483647 - 1);
}

static void test_parse_size_and_duration(void)
{
	uint64_t v;
	CHECK(parse_size("512M", &v) == 0 && v == 512ULL << 20);
	CHECK(parse_size("1G", &v) == 0 && v == 1ULL << 30);
	CHECK(parse_size("100", &v) == 0 && v == 100);
	CHECK(parse_size("infinity", &v) == 0 && v == UINT64_MAX);
	CHECK(parse_size("1Q", &v) == -EINVAL);
	CHECK(parse_size("99999999999T", &v) == -ERANGE);
	CHECK(parse_duration_us("30", &v) == 0 && v == 30000000);
	CHECK(parse_duration_us("250ms", &v) == 0 && v == 250000);
	CHECK(parse_duration_us("2min", &v) == 0 && v == 120000000);
	CHECK(parse_duration_us("ms", &v) == -EINVAL);
}

static void test_boolean(void)
{
	CHECK(parse_boolean("yes") == 1);
	CHECK(parse_boolean("Off") == 0);
	CHECK(parse_boolean("maybe") == -EINVAL);
}

static void test_strv(void)
{
	char **v = NULL;
	CHECK(strv_push(&v, "a") == 0);
	CHECK(strv_push(&v, "b") == 0);
	CHECK(strv_length(v) == 2);
	CHECK(strv_contains(v, "b") && !strv_contains(v, "c"));
	char **c = strv_copy(v);
	CHECK(c && strv_length(c) == 2);
	strv_free(c);
	strv_free(v);
}

/* In a child (the closing is for good): only the kept fds, in any order and with a -1 among
 * them, stay open. */
static void test_close_fds_except(void)
{
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC), b = open("/dev/null", O_RDONLY | O_CLOEXEC),
	    c = open("/dev/null", O_RDONLY | O_CLOEXEC), d = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(a > 2 && b > a && c > b && d > c);
	pid_t pid = fork();
	if (pid == 0) {
		close_fds_except((int[]){ d, -1, b }, 3);
		bool ok = fcntl(a, F_GETFD) < 0 && fcntl(b, F_GETFD) >= 0 && fcntl(c, F_GETFD) < 0 &&
			  fcntl(d, F_GETFD) >= 0 && fcntl(d + 1, F_GETFD) < 0 && fcntl(1, F_GETFD) >= 0;
		_exit(ok ? 0 : 1);
	}
	int status = -1;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(a), close(b), close(c), close(d);
}

/* A message and its fd arrive together; a message without one leaves *fd alone; an fd nobody
 * asked for is closed, not leaked. */
static void test_fd_pass(void)
{
	int sv[2], pipefd[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
	CHECK(fd_send(sv[0], "hello", 5, pipefd[1]) == 0);
	close(pipefd[1]);
	char buf[16] = "";
	int fd = -1;
	CHECK(fd_recv(sv[1], buf, sizeof(buf), &fd) == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	CHECK(write(fd, "x", 1) == 1);
	close(fd);
	CHECK(read(pipefd[0], buf, sizeof(buf)) == 1 && buf[0] == 'x');
	CHECK(read(pipefd[0], buf, sizeof(buf)) == 0); /* every write end is closed */
	CHECK(fd_send(sv[0], "no fd", 5, -1) == 0);
	fd = -1;
	CHECK(fd_recv(sv[1], buf, sizeof(buf), &fd) == 5 && fd == -1);
	CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
	CHECK(fd_send(sv[0], "u", 1, pipefd[1]) == 0);
	close(pipefd[1]);
	CHECK(fd_recv(sv[1], buf, sizeof(buf), NULL) == 1);
	CHECK(read(pipefd[0], buf, sizeof(buf)) == 0); /* the unwanted copy was closed */
	close(pipefd[0]);
	close(sv[0]);
	CHECK(fd_recv(sv[1], buf, sizeof(buf), &fd) == 0); /* EOF */
	close(sv[1]);
}

int main(void)
{
	RUN(test_parse_numbers);
	RUN(test_parse_size_and_duration);
	RUN(test_boolean);
	RUN(test_strv);
	RUN(test_close_fds_except);
	RUN(test_fd_pass);
	TAP_END();
}
