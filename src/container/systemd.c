/* The systemd and machined client (see systemd.h). What nspawn does in nspawn-register.c
 * (allocate_scope(), register_machine()), through the same D-Bus calls. */
#include "container/systemd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "container/sdbus.h"

// clang-format off
#define MACHINED "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"
// clang-format on

bool systemd_booted(void)
{
	struct stat st;
	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

static int open_bus(sd_bus **ret)
{
	int r = sdbus_load();
	if (r < 0)
		return r;
	r = sdbus.open_system(ret);
	return r < 0 ? -ENOMEDIUM : 0; /* no system bus: not a systemd host for hako's purposes */
}

/* The bus error's message for the caller to log, or strerror's text. */
static int fail(int r, const sd_bus_error *e, char **ret_why)
{
	if (ret_why)
		*ret_why = strdup(e && e->message ? e->message : strerror(-r));
	return r;
}

/* systemd's unit_name_escape(): alphanumerics, ':', '_' and a non-leading '.' stay, '/' becomes
 * '-', anything else (so '-' too) becomes \xNN. */
char *systemd_scope_name(const char *machine)
{
	size_t n = strlen(machine);
	char *s = malloc(strlen("machine-") + 4 * n + strlen(".scope") + 1);
	if (!s)
		return NULL;
	char *p = stpcpy(s, "machine-");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)machine[i];
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == ':' || c == '_' || (c == '.' && i > 0);
		if (c == '/')
			*p++ = '-';
		else if (keep)
			*p++ = (char)c;
		else
			p += sprintf(p, "\\x%02x", c);
	}
	strcpy(p, ".scope");
	return s;
}

static int append_bytes_variant(sd_bus_message *m, const struct unit_property *p)
{
	int r = sdbus.open_container(m, 'v', "ay");
	if (r < 0)
		return r;
	r = sdbus.append_array(m, 'y', p->bytes, p->n_bytes);
	if (r < 0)
		return r;
	return sdbus.close_container(m);
}

static int append_property(sd_bus_message *m, const struct unit_property *p)
{
	int r = sdbus.open_container(m, 'r', "sv");
	if (r < 0)
		return r;
	r = sdbus.append(m, "s", p->name);
	if (r < 0)
		return r;
	switch (p->type) {
	case 't':
		r = sdbus.append(m, "v", "t", p->u64);
		break;
	case 'b':
		r = sdbus.append(m, "v", "b", (int)!!p->u64);
		break;
	case 'a':
		r = append_bytes_variant(m, p);
		break;
	default:
		return -EINVAL;
	}
	return r < 0 ? r : sdbus.close_container(m);
}

/* The scope's properties, shared by both ways to make it: its slice, the delegation an init in
 * the container needs to manage its own subtree, and the limits. */
static int append_scope_properties(sd_bus_message *m, const struct scope_request *req)
{
	const struct unit_property common[] = {
		{ .name = "Delegate", .type = 'b', .u64 = 1 },
	};
	int r = sdbus.append(m, "(sv)", "Slice", "s", req->slice ? req->slice : "machine.slice");
	if (r < 0)
		return r;
	r = sdbus.append(m, "(sv)", "Description", "s", "hako container");
	if (r < 0)
		return r;
	/* A scope whose processes were killed may end "failed": collected all the same. */
	r = sdbus.append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(common); i++) {
		r = append_property(m, &common[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < req->n_properties; i++) {
		r = append_property(m, &req->properties[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The a(sv) of the scope's properties; with_pids: and the leader's pid (machined adds it itself). */
static int append_property_array(sd_bus_message *m, const struct scope_request *req, bool with_pids)
{
	int r = sdbus.open_container(m, 'a', "(sv)");
	if (r < 0)
		return r;
	r = append_scope_properties(m, req);
	if (r < 0)
		return r;
	if (with_pids)
		r = sdbus.append(m, "(sv)", "PIDs", "au", 1, (uint32_t)req->leader);
	if (r < 0)
		return r;
	return sdbus.close_container(m);
}

/* StartTransientUnit(unit, "fail", properties with the leader's pid, no auxiliary units). */
static int start_unit_message(sd_bus *bus, const char *unit, const struct scope_request *req,
			      sd_bus_message **ret)
{
	int r = sdbus.new_method_call(bus, ret, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "StartTransientUnit");
	if (r < 0)
		return r;
	sd_bus_message *m = *ret;
	r = sdbus.append(m, "ss", unit, "fail");
	if (r < 0)
		return r;
	r = append_property_array(m, req, true);
	if (r < 0)
		return r;
	return sdbus.append(m, "a(sa(sv))", 0);
}

static int start_transient_scope(sd_bus *bus, const struct scope_request *req, char **ret_why)
{
	_cleanup_free_ char *unit = systemd_scope_name(req->machine);
	if (!unit)
		return -ENOMEM;
	struct sdbus_job w = {};
	_cleanup_slot_ sd_bus_slot *slot = NULL;
	/* Subscribed before the call: the job may end before its reply is read. */
	int r = sdbus.match_signal(bus, &slot, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
				   sdbus_on_job_removed, &w);
	if (r < 0)
		return fail(r, NULL, ret_why);
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	r = start_unit_message(bus, unit, req, &m);
	if (r < 0)
		return fail(r, NULL, ret_why);
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = sdbus.call(bus, m, SDBUS_CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0)
		return fail(sdbus.error_has_name(&e, "org.freedesktop.systemd1.UnitExists") ? -EEXIST : r, &e,
			    ret_why);
	r = sdbus.read(reply, "o", &w.job);
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = sdbus_wait_for_job(bus, &w, SDBUS_CALL_TIMEOUT_USEC);
	if (r == -EIO) { /* the job failed: say how, as systemd-run does */
		if (ret_why)
			*ret_why = xasprintf("the job of %s ended with \"%s\"", unit, w.result);
		return r;
	}
	return r < 0 ? fail(r, NULL, ret_why) : 0;
}

/* The container's UUID as 16 bytes; a missing or malformed one: random bytes. */
static int machine_id(const char *uuid, uint8_t id[16])
{
	size_t n = 0;
	for (const char *p = uuid; p && *p && n < 32; p++) {
		if (*p == '-')
			continue;
		int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (v < 0)
			break;
		id[n / 2] = (uint8_t)(n % 2 ? id[n / 2] | v : v << 4);
		n++;
	}
	if (n == 32)
		return 0;
	return getrandom(id, 16, 0) == 16 ? 0 : -errno;
}

/* name, id, service, class, leader, root directory, network interfaces: the head of both
 * machined calls. */
static int append_machine_head(sd_bus_message *m, const struct scope_request *req)
{
	uint8_t id[16];
	int r = machine_id(req->uuid, id);
	if (r < 0)
		return r;
	r = sdbus.append(m, "s", req->machine);
	if (r < 0)
		return r;
	r = sdbus.append_array(m, 'y', id, sizeof(id));
	if (r < 0)
		return r;
	r = sdbus.append(m, "ssus", "hako", "container", (uint32_t)req->leader,
			 req->directory ? req->directory : "");
	if (r < 0)
		return r;
	return sdbus.append_array(m, 'i', req->ifindices, req->n_ifindices * sizeof(int));
}

static int append_machine_body(sd_bus_message *m, const struct scope_request *req)
{
	int r = append_machine_head(m, req);
	if (r < 0)
		return r;
	return append_property_array(m, req, false);
}

static bool machined_missing(const sd_bus_error *e)
{
	return sdbus.error_has_name(e, "org.freedesktop.DBus.Error.ServiceUnknown") ||
	       sdbus.error_has_name(e, "org.freedesktop.DBus.Error.NameHasNoOwner");
}

/* Calls machined's method with what append adds from req; a bus error goes to *e. */
static int call_machined(sd_bus *bus, const char *method,
			 int (*append)(sd_bus_message *, const struct scope_request *),
			 const struct scope_request *req, sd_bus_error *e)
{
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	int r = sdbus.new_method_call(bus, &m, MACHINED, MACHINED_PATH, MACHINED_MANAGER, method);
	if (r < 0)
		return r;
	r = append(m, req);
	if (r < 0)
		return r;
	return sdbus.call(bus, m, SDBUS_CALL_TIMEOUT_USEC, e, &reply);
}

/* machined makes the scope itself and replies once systemd's job ended. -ENOENT: no machined. */
static int create_machine(sd_bus *bus, const struct scope_request *req, char **ret_why)
{
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = call_machined(bus, "CreateMachineWithNetwork", append_machine_body, req, &e);
	if (r < 0 && machined_missing(&e))
		return -ENOENT;
	if (r < 0 && sdbus.error_has_name(&e, "org.freedesktop.machine1.MachineExists"))
		r = -EEXIST;
	return r < 0 ? fail(r, &e, ret_why) : 0;
}

static const char *const machine_gone[] = { "org.freedesktop.machine1.NoSuchMachine", NULL };
static const struct sdbus_manager machined = { MACHINED, MACHINED_PATH, MACHINED_MANAGER, machine_gone };

/* The machine object's property name, of D-Bus type type ("s" or "u"), read into *ret: a
 * string is only valid while *keep lives. */
static int machine_property(sd_bus *bus, const char *path, const char *name, const char *type,
			    sd_bus_message **keep, void *ret)
{
	return sdbus_get_property(bus, &machined, path, "org.freedesktop.machine1.Machine", name, type, ret,
				  keep);
}

/* A string property of the machine object at path, malloc'd into *ret. */
static int machine_string(sd_bus *bus, const char *path, const char *name, char **ret)
{
	_cleanup_message_ sd_bus_message *reply = NULL;
	const char *v = NULL;
	int r = machine_property(bus, path, name, "s", &reply, &v);
	if (r < 0)
		return r;
	*ret = strdup(v ? v : "");
	return *ret ? 0 : -ENOMEM;
}

/* machined's object path of the machine name, malloc'd into *ret; -ENOENT: no such machine. */
static int machine_path(sd_bus *bus, const char *name, char **ret)
{
	return sdbus_object_path(bus, &machined, "GetMachine", name, ret);
}

/* Whether process pid is still in unit (its cgroup path names it): a dead leader's PID may
 * have been reused by a process elsewhere. */
static bool process_in_unit(pid_t pid, const char *unit)
{
	char proc[32];
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *cgroups = NULL;
	if (read_file(proc, &cgroups, NULL) < 0)
		return false;
	_cleanup_free_ char *component = xasprintf("/%s", unit);
	if (!component)
		return true; /* out of memory: take it for alive, which collects nothing */
	for (const char *at = strstr(cgroups, component); at; at = strstr(at + 1, component)) {
		char after = at[strlen(component)];
		if (after == '/' || after == '\n' || after == '\0')
			return true;
	}
	return false;
}

/* Waits (bounded) until machined dropped the machine name. */
static int wait_machine_gone(sd_bus *bus, const char *name)
{
	for (int i = 0; i < 250; i++) { /* 5 s: machined stops an empty scope at once */
		_cleanup_free_ char *path = NULL;
		int r = machine_path(bus, name, &path);
		if (r == -ENOENT)
			return 1;
		if (r < 0)
			return r;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

/* systemd 252 can miss that a scope emptied right after it started (seen when a hako is killed
 * with SIGKILL at that moment: its container's PID 1 dies with it, by PDEATHSIG); the scope then
 * stays "running", empty, and machined keeps the name for good. A machine of hako's whose
 * leader is gone is such a leftover: it is terminated, as `machinectl terminate` would, and
 * its name is free again. Returns 1 when collected, 0 when the machine is alive or not hako's. */
static int collect_dead_machine(sd_bus *bus, const char *name)
{
	_cleanup_free_ char *path = NULL, *service = NULL, *state = NULL, *unit = NULL;
	int r = machine_path(bus, name, &path);
	if (r < 0)
		return r == -ENOENT ? 1 : r; /* gone meanwhile */
	r = machine_string(bus, path, "Service", &service);
	if (r < 0 || !streq(service, "hako"))
		return r < 0 ? r : 0;
	/* "opening": another hako's machine whose leader is not in its scope yet. */
	r = machine_string(bus, path, "State", &state);
	if (r < 0 || !streq(state, "running"))
		return r < 0 ? r : 0;
	r = machine_string(bus, path, "Unit", &unit);
	if (r < 0)
		return r;
	_cleanup_message_ sd_bus_message *reply = NULL;
	uint32_t leader = 0;
	r = machine_property(bus, path, "Leader", "u", &reply, &leader);
	if (r < 0)
		return r;
	if (leader > 0 && process_in_unit((pid_t)leader, unit))
		return 0;
	_cleanup_message_ sd_bus_message *m = NULL, *done = NULL;
	r = sdbus.new_method_call(bus, &m, MACHINED, MACHINED_PATH, MACHINED_MANAGER, "TerminateMachine");
	if (r < 0)
		return r;
	r = sdbus.append(m, "s", name);
	if (r < 0)
		return r;
	r = sdbus.call(bus, m, SDBUS_CALL_TIMEOUT_USEC, NULL, &done);
	if (r < 0)
		return r;
	return wait_machine_gone(bus, name);
}

/* create_machine(), once more after a dead registration of the same name was collected. */
static int create_machine_collecting(sd_bus *bus, const struct scope_request *req, char **ret_why)
{
	int r = create_machine(bus, req, ret_why);
	if (r != -EEXIST)
		return r;
	r = collect_dead_machine(bus, req->machine);
	if (r <= 0)
		return -EEXIST; /* alive, or not hako's: the name is taken (*ret_why says by what) */
	if (ret_why) {
		free(*ret_why);
		*ret_why = NULL;
	}
	return create_machine(bus, req, ret_why);
}

int systemd_create_scope(const struct scope_request *req, bool *ret_registered, char **ret_why)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = open_bus(&bus);
	if (r < 0)
		return r;
	*ret_registered = false;
	if (req->register_machine) {
		r = create_machine_collecting(bus, req, ret_why);
		if (r != -ENOENT) {
			*ret_registered = r >= 0;
			return r;
		}
	}
	return start_transient_scope(bus, req, ret_why);
}

int systemd_register_machine(const struct scope_request *req, char **ret_why)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = open_bus(&bus);
	if (r < 0)
		return r;
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = call_machined(bus, "RegisterMachineWithNetwork", append_machine_head, req, &e);
	if (r < 0 && machined_missing(&e))
		return 0; /* nothing to register with: fine, as with --register=no */
	return r < 0 ? fail(r, &e, ret_why) : 0;
}

int systemd_machine_owner(const char *machine, char **ret)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = open_bus(&bus);
	if (r < 0)
		return r;
	_cleanup_free_ char *path = NULL;
	r = machine_path(bus, machine, &path);
	if (r < 0)
		return r;
	_cleanup_free_ char *service = NULL, *dir = NULL;
	r = machine_string(bus, path, "Service", &service);
	if (r < 0)
		return r;
	r = machine_string(bus, path, "RootDirectory", &dir);
	if (r < 0)
		return r;
	*ret = xasprintf("%s, root directory %s", *service ? service : "unknown service",
			 *dir ? dir : "unknown");
	return *ret ? 0 : -ENOMEM;
}

int systemd_stop_unit(const char *unit, char **ret_why)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = open_bus(&bus);
	if (r < 0)
		return r;
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	r = sdbus.new_method_call(bus, &m, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit");
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = sdbus.append(m, "ss", unit, "replace");
	if (r < 0)
		return fail(r, NULL, ret_why);
	/* machined forgets a machine when its scope goes: stopping the unit is enough. */
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = sdbus.call(bus, m, SDBUS_CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0 && sdbus.error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
		return 0;
	return r < 0 ? fail(r, &e, ret_why) : 0;
}
