/* libsystemd's sd-bus, dlopen()ed on first use (linking it would cost every exec of hako its
 * relocations, systemd host or not): the entry points hako uses, for the host's systemd and
 * machined (systemd.c) and for a guest's systemd (machine/guestbus.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "base/cleanup.h"

struct sdbus_lib {
	void *handle;
	int (*open_system)(sd_bus **);
	int (*new_bus)(sd_bus **);
	int (*set_fd)(sd_bus *, int, int);
	int (*start)(sd_bus *);
	sd_bus *(*flush_close_unref)(sd_bus *);
	int (*new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *, const char *,
			       const char *);
	int (*append)(sd_bus_message *, const char *, ...);
	int (*append_array)(sd_bus_message *, char, const void *, size_t);
	int (*append_strv)(sd_bus_message *, char **);
	int (*open_container)(sd_bus_message *, char, const char *);
	int (*close_container)(sd_bus_message *);
	int (*call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
	int (*read)(sd_bus_message *, const char *, ...);
	sd_bus_message *(*message_unref)(sd_bus_message *);
	void (*error_free)(sd_bus_error *);
	int (*error_has_name)(const sd_bus_error *, const char *);
	int (*match_signal)(sd_bus *, sd_bus_slot **, const char *, const char *, const char *, const char *,
			    sd_bus_message_handler_t, void *);
	sd_bus_slot *(*slot_unref)(sd_bus_slot *);
	int (*process)(sd_bus *, sd_bus_message **);
	int (*wait)(sd_bus *, uint64_t);
};

extern struct sdbus_lib sdbus;

/* Loads libsystemd.so.0 once: 0, or -ENOPKG when it or one of the entry points is missing. */
int sdbus_load(void);

/* Cleanup helpers for the dlopen()ed types. */
// clang-format off
static inline void sdbus_closep(sd_bus **b) { if (*b) sdbus.flush_close_unref(*b); }
static inline void sdbus_message_unrefp(sd_bus_message **m) { if (*m) sdbus.message_unref(*m); }
static inline void sdbus_slot_unrefp(sd_bus_slot **s) { if (*s) sdbus.slot_unref(*s); }
static inline void sdbus_error_freep(sd_bus_error *e) { if (sdbus.error_free) sdbus.error_free(e); }
// clang-format on
#define _cleanup_bus_ _cleanup_(sdbus_closep)
#define _cleanup_message_ _cleanup_(sdbus_message_unrefp)
#define _cleanup_slot_ _cleanup_(sdbus_slot_unrefp)
#define _cleanup_bus_error_ _cleanup_(sdbus_error_freep)

#define SYSTEMD "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* A loaded host's systemd may be slow: nspawn waits 25 s. */
#define SDBUS_CALL_TIMEOUT_USEC (30ULL * 1000000)

/* A manager object on a bus (systemd's, machined's): its service, path and interface, and the
 * error names its calls fail with when the object asked for does not exist (NULL-ended). */
struct sdbus_manager {
	const char *service;
	const char *path;
	const char *iface;
	const char *const *gone;
};

/* Calls the manager's method with the one string argument arg (GetUnit, GetMachine) and returns
 * the object path it replies, malloc'd into *ret. -ENOENT: no such object. */
int sdbus_object_path(sd_bus *bus, const struct sdbus_manager *mgr, const char *method, const char *arg,
		      char **ret);

/* Reads the property iface.name of the object at path (of the manager's service) into *ret as sig
 * says ("s": const char **, "u": uint32_t *, "i": int *). The reply is kept in *keep, which a
 * string points into; a reply kept there before is freed first, so one keep serves several
 * reads. -ENOENT: the object is gone. */
int sdbus_get_property(sd_bus *bus, const struct sdbus_manager *mgr, const char *path, const char *iface,
		       const char *name, const char *sig, void *ret, sd_bus_message **keep);

/* A job of systemd's being waited for: subscribe sdbus_on_job_removed (userdata: the sdbus_job)
 * to JobRemoved before the call that makes the job, set job to the path it returned, then
 * sdbus_wait_for_job: 0 when its result is "done", -EIO otherwise (result says which), as
 * nspawn's and systemd-run's bus_wait_for_jobs_one(). */
struct sdbus_job {
	const char *job;
	bool done;
	char result[32];
};
int sdbus_on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error);
int sdbus_wait_for_job(sd_bus *bus, struct sdbus_job *w, uint64_t timeout_usec);
