/* The systemd and systemd-machined client: on a host whose PID 1 is systemd, a container's cgroup
 * is a transient scope unit that systemd makes and delegates (machine-NAME.scope in
 * machine.slice, as nspawn's), and a machine is registered with machined so that machinectl and
 * systemctl see it. Through libsystemd's sd-bus, dlopen()ed on first use like libnftables: hosts
 * without systemd never load it, and hako's start-up pays nothing for it there.
 *
 * Errors: a negative errno and, where the bus said why, its message in *ret_why (malloc'd, the
 * caller logs it once). -ENOPKG: no libsystemd.so.0; -ENOMEDIUM: no system bus or no systemd on
 * it; both mean "use the cgroupfs instead". */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether PID 1 is systemd (sd_booted()'s test: /run/systemd/system exists). One stat. */
bool systemd_booted(void);

/* One unit property, typed as D-Bus wants it: 't' (uint64) or 'b' (boolean) in u64, or
 * 'a' (array of bytes: AllowedCPUs' bitmask) in bytes/n_bytes. */
struct unit_property {
	const char *name;
	char type;
	uint64_t u64;
	const uint8_t *bytes;
	size_t n_bytes;
};

struct scope_request {
	const char *machine;   /* hako's machine name */
	const char *slice;     /* NULL: machine.slice */
	pid_t leader;          /* moved into the scope before the call returns */
	bool register_machine; /* with machined, when it is on the bus */
	const char *directory; /* the root directory, for machined (absolute) */
	const char *uuid;      /* "8-4-4-4-12" hex: machined's 16-byte id; NULL: random */
	const int *ifindices;  /* the host side of the container's links, for machined */
	size_t n_ifindices;
	const struct unit_property *properties; /* limits and TasksMax */
	size_t n_properties;
};

/* Makes machine-NAME.scope (escaped as systemd does) with Delegate=yes and the leader in it, and
 * waits until systemd's job finished. With register_machine, machined makes it
 * (CreateMachineWithNetwork); without machined on the bus, systemd does (StartTransientUnit).
 * *ret_registered says whether machined knows the machine. */
int systemd_create_scope(const struct scope_request *req, bool *ret_registered, char **ret_why);

/* --keep-unit: registers the leader's unit (hako's own) as the machine (RegisterMachineWithNetwork). */
int systemd_register_machine(const struct scope_request *req, char **ret_why);

/* Stops the unit NAME ("machine-x.scope") and forgets the machine registered for it, if any:
 * how a stale machine's scope is collected. No such unit is not an error. */
int systemd_stop_unit(const char *unit, char **ret_why);

/* Who has the machine named machine registered with machined: "SERVICE, root directory DIR"
 * (malloc'd), for the one line that says why a name is taken. */
int systemd_machine_owner(const char *machine, char **ret);

/* "machine-" + systemd's unit_name_escape(machine) + ".scope". Exposed for unit tests. */
char *systemd_scope_name(const char *machine);
