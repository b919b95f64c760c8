/* A machine's own systemd, reached from the host without machined (this host may have none): a
 * child joins the machine's user and mount namespaces and its root, connects to the guest
 * systemd's private socket (/run/systemd/private, as systemctl does as root) and opens a pty of
 * the machine's devpts (/dev/ptmx inside, as machined's OpenMachinePTY), and passes both back
 * (SCM_RIGHTS); sd-bus then talks over the socket (sd_bus_set_fd). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

struct guest {
	sd_bus *bus;
	int master;   /* the pty's master, or -1 */
	int slave;    /* its slave (TIOCGPTPEER), or -1 */
	unsigned pty; /* its number: /dev/pts/N inside */
};

enum guest_pty {
	GUEST_NO_PTY,
	GUEST_PTY,      /* the master only: its reads end (EIO) once the guest's side closed it */
	GUEST_PTY_HELD, /* and the slave, held open by hako: a getty's vhangup() and restart do
			 * not end the relay (machinectl login ignores that EIO) */
};

/* Connects to the guest's systemd of the machine whose PID 1 is leader, with a pty as asked.
 * -ENOMEDIUM: no systemd listens in the guest (busybox init, or not booted that far). */
int guest_open(pid_t leader, enum guest_pty pty, struct guest *ret);
void guest_close(struct guest *g);
/* Hangs up the bus only (the pty stays). */
void guest_close_bus(struct guest *g);

/* StartUnit(unit, "replace"), waiting for its job: 0, or a negative errno and the bus's reason
 * in *ret_why (malloc'd). */
int guest_start_unit(struct guest *g, const char *unit, char **ret_why);

/* What a transient service of the guest's runs: the command and how. */
struct guest_service {
	const char *unit;
	const char *user; /* User= */
	const char *path; /* ExecStart='s program (a bare name is searched in systemd's PATH) */
	char **argv;      /* with argv[0] as the program sees it ("-bash": a login shell) */
	char **env;       /* Environment= */
	int fds[3];       /* stdin, stdout, stderr passed as they are; fds[0] < 0: TTYPath= */
	const char *tty;  /* /dev/pts/N when fds[0] < 0 */
};

/* StartTransientUnit of svc as a logind session (PAMName=login), then waits until it ended:
 * *ret_status gets its exit status (128+N for signal N). relay, when set, runs between the start
 * and the wait (the terminal relay of a pty). */
int guest_run_service(struct guest *g, const struct guest_service *svc, void (*relay)(void *), void *userdata,
		      int *ret_status, char **ret_why);
