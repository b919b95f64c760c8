/* The systemd and machined client (see systemd.h). What nspawn does in nspawn-register.c
 * (allocate_scope(), register_machine()), through the same D-Bus calls. */
#include "container/systemd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/util.h"

/* The sd-bus entry points hako uses, resolved by name from the dlopen()ed libsystemd.so.0:
 * linking it would cost every exec of hako its relocations, systemd host or not. */
static struct {
	void *handle;
	int (*open_system)(sd_bus **);
	sd_bus *(*flush_close_unref)(sd_bus *);
	int (*new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *, const char *,
			       const char *);
	int (*append)(sd_bus_message *, const char *, ...);
	int (*append_array)(sd_bus_message *, char, const void *, size_t);
	int (*open_container)(sd_bus_message *, char, const char *);
	int (*close_container)(sd_bus_message *);
	int (*call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
	int (*read)(sd_bus_message *, const char *, ...);
	sd_bus_message *(*message_unref)(sd_bus_message *);
	void (*error_free)(sd_bus_error *);
	int (*error_has_name)(const sd_bus_error *, const char *);
	int (*match_signal)(sd_bus *, sd_bus_slot **, const char *, const char *, const char *,
			    const char *, sd_bus_message_handler_t, void *);
	sd_bus_slot *(*slot_unref)(sd_bus_slot *);
	int (*process)(sd_bus *, sd_bus_message **);
	int (*wait)(sd_bus *, uint64_t);
} lib;

#define SYM(name, field) DL_SYMBOL(name, lib, field)
static const struct dl_symbol symbols[] = {
	SYM("sd_bus_open_system", open_system),
	SYM("sd_bus_flush_close_unref", flush_close_unref),
	SYM("sd_bus_message_new_method_call", new_method_call),
	SYM("sd_bus_message_append", append),
	SYM("sd_bus_message_append_array", append_array),
	SYM("sd_bus_message_open_container", open_container),
	SYM("sd_bus_message_close_container", close_container),
	SYM("sd_bus_call", call),
	SYM("sd_bus_message_read", read),
	SYM("sd_bus_message_unref", message_unref),
	SYM("sd_bus_error_free", error_free),
	SYM("sd_bus_error_has_name", error_has_name),
	SYM("sd_bus_match_signal", match_signal),
	SYM("sd_bus_slot_unref", slot_unref),
	SYM("sd_bus_process", process),
	SYM("sd_bus_wait", wait),
};

#define SYSTEMD "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define MACHINED "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"
#define CALL_TIMEOUT_USEC (30ULL * 1000000)  /* a loaded host's systemd may be slow: nspawn waits 25 s */

static int load(void)
{
	return lib.handle ? 0 : dl_load("libsystemd.so.0", symbols, ELEMENTSOF(symbols), &lib, &lib.handle);
}

bool systemd_booted(void)
{
	struct stat st;
	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* Cleanup helpers for the dlopen()ed types. */
static void bus_closep(sd_bus **b) { if (*b) lib.flush_close_unref(*b); }
static void message_unrefp(sd_bus_message **m) { if (*m) lib.message_unref(*m); }
static void slot_unrefp(sd_bus_slot **s) { if (*s) lib.slot_unref(*s); }
static void bus_error_freep(sd_bus_error *e) { if (lib.error_free) lib.error_free(e); }
#define _cleanup_bus_ _cleanup_(bus_closep)
#define _cleanup_message_ _cleanup_(message_unrefp)
#define _cleanup_slot_ _cleanup_(slot_unrefp)
#define _cleanup_bus_error_ _cleanup_(bus_error_freep)

static int open_bus(sd_bus **ret)
{
	int r = load();
	if (r < 0)
		return r;
	r = lib.open_system(ret);
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
	int r = lib.open_container(m, 'v', "ay");
	if (r < 0)
		return r;
	r = lib.append_array(m, 'y', p->bytes, p->n_bytes);
	if (r < 0)
		return r;
	return lib.close_container(m);
}

static int append_property(sd_bus_message *m, const struct unit_property *p)
{
	int r = lib.open_container(m, 'r', "sv");
	if (r < 0)
		return r;
	r = lib.append(m, "s", p->name);
	if (r < 0)
		return r;
	switch (p->type) {
	case 't':
		r = lib.append(m, "v", "t", p->u64);
		break;
	case 'b':
		r = lib.append(m, "v", "b", (int)!!p->u64);
		break;
	case 'a':
		r = append_bytes_variant(m, p);
		break;
	default:
		return -EINVAL;
	}
	return r < 0 ? r : lib.close_container(m);
}

/* The scope's properties, shared by both ways to make it: its slice, the delegation an init in
 * the container needs to manage its own subtree, and the limits. */
static int append_scope_properties(sd_bus_message *m, const struct scope_request *req)
{
	const struct unit_property common[] = {
		{ .name = "Delegate", .type = 'b', .u64 = 1 },
	};
	int r = lib.append(m, "(sv)", "Slice", "s", req->slice ? req->slice : "machine.slice");
	if (r < 0)
		return r;
	r = lib.append(m, "(sv)", "Description", "s", "hako container");
	if (r < 0)
		return r;
	/* A scope whose processes were killed may end "failed": collected all the same. */
	r = lib.append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
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

struct job_wait {
	const char *job;   /* the object path StartTransientUnit returned */
	bool done;
	char result[32];   /* "done" on success */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	(void)error;
	struct job_wait *w = userdata;
	uint32_t id;
	const char *path, *unit, *result;
	if (lib.read(m, "uoss", &id, &path, &unit, &result) < 0 || !w->job || !streq(path, w->job))
		return 0;
	w->done = true;
	snprintf(w->result, sizeof(w->result), "%s", result);
	return 0;
}

/* Processes the bus until JobRemoved for w->job came, as nspawn's bus_wait_for_jobs_one(). */
static int wait_for_job(sd_bus *bus, struct job_wait *w)
{
	uint64_t deadline = now_usec() + CALL_TIMEOUT_USEC;
	while (!w->done) {
		int r = lib.process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		uint64_t now = now_usec();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = lib.wait(bus, deadline - now);
		if (r < 0)
			return r;
	}
	return streq(w->result, "done") ? 0 : -EIO;
}

/* The a(sv) of the scope's properties; with_pids: and the leader's pid (machined adds it itself). */
static int append_property_array(sd_bus_message *m, const struct scope_request *req, bool with_pids)
{
	int r = lib.open_container(m, 'a', "(sv)");
	if (r < 0)
		return r;
	r = append_scope_properties(m, req);
	if (r < 0)
		return r;
	if (with_pids)
		r = lib.append(m, "(sv)", "PIDs", "au", 1, (uint32_t)req->leader);
	if (r < 0)
		return r;
	return lib.close_container(m);
}

/* StartTransientUnit(unit, "fail", properties with the leader's pid, no auxiliary units). */
static int start_unit_message(sd_bus *bus, const char *unit, const struct scope_request *req,
			      sd_bus_message **ret)
{
	int r = lib.new_method_call(bus, ret, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "StartTransientUnit");
	if (r < 0)
		return r;
	sd_bus_message *m = *ret;
	r = lib.append(m, "ss", unit, "fail");
	if (r < 0)
		return r;
	r = append_property_array(m, req, true);
	if (r < 0)
		return r;
	return lib.append(m, "a(sa(sv))", 0);
}

static int start_transient_scope(sd_bus *bus, const struct scope_request *req, char **ret_why)
{
	_cleanup_free_ char *unit = systemd_scope_name(req->machine);
	if (!unit)
		return -ENOMEM;
	struct job_wait w = {};
	_cleanup_slot_ sd_bus_slot *slot = NULL;
	/* Subscribed before the call: the job may end before its reply is read. */
	int r = lib.match_signal(bus, &slot, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
				 on_job_removed, &w);
	if (r < 0)
		return fail(r, NULL, ret_why);
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	r = start_unit_message(bus, unit, req, &m);
	if (r < 0)
		return fail(r, NULL, ret_why);
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = lib.call(bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0)
		return fail(lib.error_has_name(&e, "org.freedesktop.systemd1.UnitExists") ? -EEXIST : r, &e,
			    ret_why);
	r = lib.read(reply, "o", &w.job);
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = wait_for_job(bus, &w);
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
	r = lib.append(m, "s", req->machine);
	if (r < 0)
		return r;
	r = lib.append_array(m, 'y', id, sizeof(id));
	if (r < 0)
		return r;
	r = lib.append(m, "ssus", "hako", "container", (uint32_t)req->leader,
		       req->directory ? req->directory : "");
	if (r < 0)
		return r;
	return lib.append_array(m, 'i', req->ifindices, req->n_ifindices * sizeof(int));
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
	return lib.error_has_name(e, "org.freedesktop.DBus.Error.ServiceUnknown") ||
	       lib.error_has_name(e, "org.freedesktop.DBus.Error.NameHasNoOwner");
}

/* machined makes the scope itself and replies once systemd's job ended. -ENOENT: no machined. */
static int create_machine(sd_bus *bus, const struct scope_request *req, char **ret_why)
{
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	int r = lib.new_method_call(bus, &m, MACHINED, MACHINED_PATH, MACHINED_MANAGER,
				    "CreateMachineWithNetwork");
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = append_machine_body(m, req);
	if (r < 0)
		return fail(r, NULL, ret_why);
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = lib.call(bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0 && machined_missing(&e))
		return -ENOENT;
	if (r < 0 && lib.error_has_name(&e, "org.freedesktop.machine1.MachineExists"))
		r = -EEXIST;
	return r < 0 ? fail(r, &e, ret_why) : 0;
}

int systemd_create_scope(const struct scope_request *req, bool *ret_registered, char **ret_why)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = open_bus(&bus);
	if (r < 0)
		return r;
	*ret_registered = false;
	if (req->register_machine) {
		r = create_machine(bus, req, ret_why);
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
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	r = lib.new_method_call(bus, &m, MACHINED, MACHINED_PATH, MACHINED_MANAGER,
				"RegisterMachineWithNetwork");
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = append_machine_head(m, req);
	if (r < 0)
		return fail(r, NULL, ret_why);
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = lib.call(bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0 && machined_missing(&e))
		return 0; /* nothing to register with: fine, as with --register=no */
	return r < 0 ? fail(r, &e, ret_why) : 0;
}

/* A string property of the machine object at path, malloc'd into *ret. */
static int machine_string(sd_bus *bus, const char *path, const char *name, char **ret)
{
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	int r = lib.new_method_call(bus, &m, MACHINED, path, "org.freedesktop.DBus.Properties", "Get");
	if (r < 0)
		return r;
	r = lib.append(m, "ss", "org.freedesktop.machine1.Machine", name);
	if (r < 0)
		return r;
	r = lib.call(bus, m, CALL_TIMEOUT_USEC, NULL, &reply);
	if (r < 0)
		return r;
	const char *v = NULL;
	r = lib.read(reply, "v", "s", &v);
	if (r < 0)
		return r;
	*ret = strdup(v ? v : "");
	return *ret ? 0 : -ENOMEM;
}

int systemd_machine_owner(const char *machine, char **ret)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = open_bus(&bus);
	if (r < 0)
		return r;
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	r = lib.new_method_call(bus, &m, MACHINED, MACHINED_PATH, MACHINED_MANAGER, "GetMachine");
	if (r < 0)
		return r;
	r = lib.append(m, "s", machine);
	if (r < 0)
		return r;
	r = lib.call(bus, m, CALL_TIMEOUT_USEC, NULL, &reply);
	if (r < 0)
		return r;
	const char *path = NULL;
	r = lib.read(reply, "o", &path);
	if (r < 0)
		return r;
	_cleanup_free_ char *service = NULL, *dir = NULL;
	r = machine_string(bus, path, "Service", &service);
	if (r < 0)
		return r;
	r = machine_string(bus, path, "RootDirectory", &dir);
	if (r < 0)
		return r;
	*ret = xasprintf("%s, root directory %s", *service ? service : "unknown service", *dir ? dir : "unknown");
	return *ret ? 0 : -ENOMEM;
}

int systemd_stop_unit(const char *unit, char **ret_why)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	int r = open_bus(&bus);
	if (r < 0)
		return r;
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	r = lib.new_method_call(bus, &m, SYSTEMD, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit");
	if (r < 0)
		return fail(r, NULL, ret_why);
	r = lib.append(m, "ss", unit, "replace");
	if (r < 0)
		return fail(r, NULL, ret_why);
	/* machined forgets a machine when its scope goes: stopping the unit is enough. */
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = lib.call(bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0 && lib.error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
		return 0;
	return r < 0 ? fail(r, &e, ret_why) : 0;
}
