/* A machine's own systemd over its private socket (guestbus.h). */
#include "machine/guestbus.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdpass.h"
#include "base/util.h"
#include "container/sdbus.h"
#include "machine/relay.h"

#define GUEST_SOCKET "/run/systemd/private"
#define CALL_TIMEOUT_USEC SDBUS_CALL_TIMEOUT_USEC
/* A service runs as long as its user wants: its end is waited for without a limit. */
#define SERVICE_END_TIMEOUT_USEC UINT64_MAX

/* ---- in the child ---- */

static int open_ns(pid_t leader, const char *name)
{
	char path[64], self[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)leader, name);
	snprintf(self, sizeof(self), "/proc/self/ns/%s", name);
	if (stat(path, &a) < 0)
		return -errno;
	if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return -EALREADY; /* shared with the host: nothing to join */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The machine's user namespace (its root then is the one systemd's socket accepts, and the pty's
 * owner), its PID namespace (for the children: sd-bus refuses a peer whose pid it cannot see),
 * its mounts and its root. */
static int join(pid_t leader)
{
	/* Non-dumpable before joining: nothing inside may open /proc/PID/exe (the host's hako
	 * binary) or this process's fds (runc CVE-2019-5736). */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	_cleanup_close_ int user = open_ns(leader, "user");
	_cleanup_close_ int mnt = open_ns(leader, "mnt");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/root", (int)leader);
	_cleanup_close_ int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	if (mnt < 0 && mnt != -EALREADY)
		return mnt;
	if (user < 0 && user != -EALREADY)
		return user;
	if (user >= 0 && setns(user, CLONE_NEWUSER) < 0)
		return -errno;
	_cleanup_close_ int pid = open_ns(leader, "pid");
	if (pid < 0 && pid != -EALREADY)
		return pid;
	if (pid >= 0 && setns(pid, CLONE_NEWPID) < 0)
		return -errno;
	if (mnt >= 0 && setns(mnt, CLONE_NEWNS) < 0)
		return -errno;
	int r = chroot_fd(root);
	if (r < 0)
		return r;
	if (setresgid(0, 0, 0) < 0)
		return -errno;
	if (setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

static int connect_systemd(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = GUEST_SOCKET };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* Sends the bus socket, then the pty's master and slave with its number. */
static int wait_child(pid_t pid);

static int child_work(pid_t leader, enum guest_pty pty, int sock)
{
	int r = join(leader);
	if (r < 0)
		return r;
	/* Forked to be inside the PID namespace joined. */
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return wait_child(pid);
	_cleanup_close_ int bus = connect_systemd();
	if (bus < 0)
		return bus;
	r = fd_send(sock, "bus", 3, bus);
	if (r < 0 || pty == GUEST_NO_PTY)
		return r;
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	unsigned n;
	if (master < 0)
		return -errno;
	if (unlockpt(master) < 0)
		return -errno;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return -errno;
	/* Sized before the getty or the shell opens it (the relay follows resizes later). */
	relay_copy_winsize(master);
	r = fd_send(sock, &n, sizeof(n), master);
	if (r < 0 || pty != GUEST_PTY_HELD)
		return r;
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return -errno;
	return fd_send(sock, "slave", 5, slave);
}

/* ---- outside ---- */

static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? -WEXITSTATUS(st) : -EIO;
}

static int bus_over(int fd, sd_bus **ret)
{
	_cleanup_close_ int sock = fd;
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = sdbus_load();
	if (r < 0)
		return r;
	r = sdbus.new_bus(&bus);
	if (r < 0)
		return r;
	r = sdbus.set_fd(bus, sock, sock);
	if (r < 0)
		return r;
	TAKE_FD(sock); /* the bus has it now */
	r = sdbus.start(bus);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(bus);
	return 0;
}

static int receive(int sock, enum guest_pty pty, struct guest *g)
{
	char buf[16];
	int bus = -1;
	ssize_t n = fd_recv(sock, buf, sizeof(buf), &bus);
	if (n <= 0 || bus < 0)
		return -ENOMEDIUM; /* the child could not connect: no systemd in the guest */
	int r = bus_over(bus, &g->bus);
	if (r < 0 || pty == GUEST_NO_PTY)
		return r;
	n = fd_recv(sock, &g->pty, sizeof(g->pty), &g->master);
	if (n != sizeof(g->pty) || g->master < 0)
		return n < 0 ? (int)n : -EIO;
	if (pty != GUEST_PTY_HELD)
		return 0;
	n = fd_recv(sock, buf, sizeof(buf), &g->slave);
	return n <= 0 || g->slave < 0 ? (n < 0 ? (int)n : -EIO) : 0;
}

int guest_open(pid_t leader, enum guest_pty pty, struct guest *ret)
{
	*ret = (struct guest){ .master = -1, .slave = -1 };
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	_cleanup_close_ int mine = sv[0];
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		close(sv[0]);
		int r = child_work(leader, pty, sv[1]);
		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	close(sv[1]);
	int r = receive(mine, pty, ret);
	int child = wait_child(pid);
	if (r < 0 || child < 0)
		guest_close(ret);
	/* Nobody listens at the socket: no systemd in the guest. */
	if (r == -ENOMEDIUM && child != -ENOENT && child != -ECONNREFUSED)
		return child < 0 ? child : -EIO;
	return r < 0 ? r : child;
}

void guest_close_bus(struct guest *g)
{
	if (g->bus)
		sdbus.flush_close_unref(g->bus);
	g->bus = NULL;
}

void guest_close(struct guest *g)
{
	guest_close_bus(g);
	if (g->master >= 0)
		close(g->master);
	if (g->slave >= 0)
		close(g->slave);
	g->master = g->slave = -1;
}

/* ---- calls ---- */

static int fail(int r, const sd_bus_error *e, char **ret_why)
{
	if (ret_why)
		*ret_why = strdup(e && e->message ? e->message : strerror(-r));
	return r;
}

/* Sends m, whose reply is a job's path, and waits for the job: JobRemoved was subscribed before. */
static int call_job(sd_bus *bus, sd_bus_message *m, struct sdbus_job *w, char **ret_why)
{
	_cleanup_message_ sd_bus_message *reply = NULL;
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sdbus.call(bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0)
		return fail(r, &e, ret_why);
	r = sdbus.read(reply, "o", &w->job);
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = sdbus_wait_for_job(bus, w, CALL_TIMEOUT_USEC);
	if (r == -EIO && ret_why)
		*ret_why = xasprintf("its job ended with \"%s\"", w->result);
	else if (r < 0)
		fail(r, NULL, ret_why);
	return r;
}

/* Calls the manager's method (unit, mode, then what more appends) and waits for the job it makes. */
static int start_job(struct guest *g, const char *method, const char *unit, const char *mode,
		     int (*more)(sd_bus_message *, const struct guest_service *),
		     const struct guest_service *svc, char **ret_why)
{
	struct sdbus_job w = {};
	_cleanup_slot_ sd_bus_slot *slot = NULL;
	/* Subscribed before the call: the job may end before its reply is read. */
	int r = sdbus.match_signal(g->bus, &slot, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
				   sdbus_on_job_removed, &w);
	if (r < 0)
		return fail(r, NULL, ret_why);
	_cleanup_message_ sd_bus_message *m = NULL;
	r = sdbus.new_method_call(g->bus, &m, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, method);
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = sdbus.append(m, "ss", unit, mode);
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = more ? more(m, svc) : 0;
	if (r < 0)
		return fail(r, NULL, ret_why);
	return call_job(g->bus, m, &w, ret_why);
}

int guest_start_unit(struct guest *g, const char *unit, char **ret_why)
{
	return start_job(g, "StartUnit", unit, "replace", NULL, NULL, ret_why);
}

/* Opens the (sv) of the property name, with a variant of type sig, for its value. */
static int open_property(sd_bus_message *m, const char *name, const char *sig)
{
	int r = sdbus.open_container(m, 'r', "sv");
	if (r < 0)
		return r;
	r = sdbus.append(m, "s", name);
	if (r < 0)
		return r;
	return sdbus.open_container(m, 'v', sig);
}

/* Closes n containers: the property's variant and (sv), and what its value opened. */
static int close_containers(sd_bus_message *m, int n)
{
	int r = 0;
	for (int i = 0; i < n && r >= 0; i++)
		r = sdbus.close_container(m);
	return r;
}

static int append_exec(sd_bus_message *m, const struct guest_service *svc)
{
	int r = open_property(m, "ExecStart", "a(sasb)");
	if (r < 0)
		return r;
	r = sdbus.open_container(m, 'a', "(sasb)");
	if (r < 0)
		return r;
	r = sdbus.open_container(m, 'r', "sasb");
	if (r < 0)
		return r;
	r = sdbus.append(m, "s", svc->path);
	if (r < 0)
		return r;
	r = sdbus.append_strv(m, svc->argv);
	if (r < 0)
		return r;
	r = sdbus.append(m, "b", 0);
	if (r < 0)
		return r;
	return close_containers(m, 4);
}

static int append_env(sd_bus_message *m, char **env)
{
	int r = open_property(m, "Environment", "as");
	if (r < 0)
		return r;
	r = sdbus.append_strv(m, env);
	if (r < 0)
		return r;
	return close_containers(m, 2);
}

/* Where its stdio goes: the guest's pty (as machined's OpenMachineShell sets it up) or the
 * caller's fds as they are (systemd-run --pipe). */
static int append_stdio(sd_bus_message *m, const struct guest_service *svc)
{
	static const char *const fd_props[] = { "StandardInputFileDescriptor", "StandardOutputFileDescriptor",
						"StandardErrorFileDescriptor" };
	int r = 0;
	if (svc->fds[0] >= 0) {
		for (int i = 0; i < 3 && r >= 0; i++)
			r = sdbus.append(m, "(sv)", fd_props[i], "h", svc->fds[i]);
		return r;
	}
	static const char *const tty_props[] = { "StandardInput", "StandardOutput", "StandardError" };
	for (int i = 0; i < 3 && r >= 0; i++)
		r = sdbus.append(m, "(sv)", tty_props[i], "s", "tty");
	if (r < 0)
		return r;
	r = sdbus.append(m, "(sv)", "TTYPath", "s", svc->tty);
	if (r < 0)
		return r;
	r = sdbus.append(m, "(sv)", "UtmpIdentifier", "s", svc->tty + strlen("/dev/"));
	if (r < 0)
		return r;
	r = sdbus.append(m, "(sv)", "UtmpMode", "s", "user");
	if (r < 0)
		return r;
	return sdbus.append(m, "(sv)", "SendSIGHUP", "b", 1);
}

/* The service's properties, as machined's OpenMachineShell: a PAM "login" session of User= in
 * the user's home. */
static int append_service(sd_bus_message *m, const struct guest_service *svc)
{
	int r = sdbus.open_container(m, 'a', "(sv)");
	if (r < 0)
		return r;
	r = sdbus.append(m, "(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", "hako shell", "CollectMode", "s",
			 "inactive", "PAMName", "s", "login", "User", "s", svc->user, "WorkingDirectory", "s",
			 "-~", "IgnoreSIGPIPE", "b", 0);
	if (r < 0)
		return r;
	r = append_stdio(m, svc);
	if (r < 0)
		return r;
	r = append_env(m, svc->env);
	if (r < 0)
		return r;
	r = append_exec(m, svc);
	if (r < 0)
		return r;
	return sdbus.close_container(m);
}

/* The properties, then no auxiliary units. */
static int append_transient(sd_bus_message *m, const struct guest_service *svc)
{
	int r = append_service(m, svc);
	if (r < 0)
		return r;
	return sdbus.append(m, "a(sa(sv))", 0);
}

static const char *const unit_gone[] = { "org.freedesktop.systemd1.NoSuchUnit",
					 "org.freedesktop.DBus.Error.UnknownObject", NULL };
static const struct sdbus_manager guest_systemd = { SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, unit_gone };

/* A property of the unit's object, read into *ret as sig says ("s": const char **, "i": int *),
 * from the reply kept in *keep. -ENOENT: the unit is gone (collected). */
static int unit_property(sd_bus *bus, const char *path, const char *iface, const char *name, const char *sig,
			 void *ret, sd_bus_message **keep)
{
	return sdbus_get_property(bus, &guest_systemd, path, iface, name, sig, ret, keep);
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	(void)m;
	(void)error;
	*(bool *)userdata = true;
	return 0;
}

/* Whether the unit has ended, and its main process's exit status. With CollectMode=inactive
 * systemd collects a unit that succeeded at once and keeps one that failed: gone means status 0
 * (AddRef=, which would keep it, needs a bus name, and a private connection has none). */
static int unit_ended(sd_bus *bus, const char *path, bool *ended, int *ret_status)
{
	_cleanup_message_ sd_bus_message *keep = NULL;
	const char *state = NULL;
	int code = 0, status = 0;
	int r = unit_property(bus, path, "org.freedesktop.systemd1.Unit", "ActiveState", "s", &state, &keep);
	*ended = r == -ENOENT || (r >= 0 && (streq(state, "inactive") || streq(state, "failed")));
	*ret_status = 0;
	if (r < 0 || !*ended)
		return r == -ENOENT ? 0 : r;
	r = unit_property(bus, path, "org.freedesktop.systemd1.Service", "ExecMainCode", "i", &code, &keep);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	r = unit_property(bus, path, "org.freedesktop.systemd1.Service", "ExecMainStatus", "i", &status,
			  &keep);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	/* CLD_EXITED: the status; CLD_KILLED, CLD_DUMPED: the signal, as a shell reports it. */
	*ret_status = code == CLD_EXITED || code == 0 ? status : 128 + status;
	return 0;
}

/* A failed unit stays until reset: hako has read its status, nobody else needs it. */
static void collect(sd_bus *bus, const char *unit)
{
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	if (sdbus.new_method_call(bus, &m, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "ResetFailedUnit") < 0)
		return;
	if (sdbus.append(m, "s", unit) < 0)
		return;
	(void)sdbus.call(bus, m, CALL_TIMEOUT_USEC, NULL, &reply);
}

/* Waits for PropertiesChanged (systemd sends every signal to its private connections). */
static int wait_change(sd_bus *bus, bool *changed)
{
	*changed = false;
	while (!*changed) {
		int r = sdbus.process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		r = sdbus.wait(bus, SERVICE_END_TIMEOUT_USEC);
		if (r < 0)
			return r;
	}
	return 0;
}

int guest_run_service(struct guest *g, const struct guest_service *svc, void (*relay)(void *), void *userdata,
		      int *ret_status, char **ret_why)
{
	bool changed = false, ended = false;
	_cleanup_slot_ sd_bus_slot *slot = NULL;
	int r = sdbus.match_signal(g->bus, &slot, SYSTEMD, NULL, "org.freedesktop.DBus.Properties",
				   "PropertiesChanged", on_changed, &changed);
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = start_job(g, "StartTransientUnit", svc->unit, "fail", append_transient, svc, ret_why);
	if (r < 0)
		return r;
	if (relay)
		relay(userdata);
	_cleanup_free_ char *path = NULL;
	r = sdbus_object_path(g->bus, &guest_systemd, "GetUnit", svc->unit,
			      &path); /* -ENOENT: gone already */
	if (r == -ENOENT) {
		*ret_status = 0;
		return 0;
	}
	while (r >= 0) {
		r = unit_ended(g->bus, path, &ended, ret_status);
		if (r < 0 || ended)
			break;
		r = wait_change(g->bus, &changed);
	}
	if (ended)
		collect(g->bus, svc->unit);
	return r < 0 ? fail(r, NULL, ret_why) : 0;
}
