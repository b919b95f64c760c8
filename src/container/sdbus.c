/* The sd-bus entry points, resolved by name from the dlopen()ed libsystemd.so.0 (sdbus.h). */
#include "container/sdbus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/util.h"

struct sdbus_lib sdbus;

#define SYM(name, field) DL_SYMBOL(name, sdbus, field)
static const struct dl_symbol symbols[] = {
	SYM("sd_bus_open_system", open_system),
	SYM("sd_bus_new", new_bus),
	SYM("sd_bus_set_fd", set_fd),
	SYM("sd_bus_start", start),
	SYM("sd_bus_flush_close_unref", flush_close_unref),
	SYM("sd_bus_message_new_method_call", new_method_call),
	SYM("sd_bus_message_append", append),
	SYM("sd_bus_message_append_array", append_array),
	SYM("sd_bus_message_append_strv", append_strv),
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

int sdbus_load(void)
{
	if (sdbus.handle)
		return 0;
	return dl_load("libsystemd.so.0", symbols, ELEMENTSOF(symbols), &sdbus, &sdbus.handle);
}

int sdbus_on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	(void)error;
	struct sdbus_job *w = userdata;
	uint32_t id;
	const char *path, *unit, *result;
	if (sdbus.read(m, "uoss", &id, &path, &unit, &result) < 0 || !w->job || !streq(path, w->job))
		return 0;
	w->done = true;
	snprintf(w->result, sizeof(w->result), "%s", result);
	return 0;
}

int sdbus_wait_for_job(sd_bus *bus, struct sdbus_job *w, uint64_t timeout_usec)
{
	uint64_t deadline = now_usec() + timeout_usec;
	while (!w->done) {
		int r = sdbus.process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		uint64_t now = now_usec();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = sdbus.wait(bus, deadline - now);
		if (r < 0)
			return r;
	}
	return streq(w->result, "done") ? 0 : -EIO;
}

/* Whether the call failed with one of the manager's "no such object" errors. */
static bool object_gone(const struct sdbus_manager *mgr, const sd_bus_error *e)
{
	for (const char *const *name = mgr->gone; name && *name; name++)
		if (sdbus.error_has_name(e, *name))
			return true;
	return false;
}

int sdbus_object_path(sd_bus *bus, const struct sdbus_manager *mgr, const char *method, const char *arg,
		      char **ret)
{
	_cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
	int r = sdbus.new_method_call(bus, &m, mgr->service, mgr->path, mgr->iface, method);
	if (r < 0)
		return r;
	r = sdbus.append(m, "s", arg);
	if (r < 0)
		return r;
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = sdbus.call(bus, m, SDBUS_CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0)
		return object_gone(mgr, &e) ? -ENOENT : r;
	const char *path = NULL;
	r = sdbus.read(reply, "o", &path);
	if (r < 0)
		return r;
	*ret = strdup(path);
	return *ret ? 0 : -ENOMEM;
}

int sdbus_get_property(sd_bus *bus, const struct sdbus_manager *mgr, const char *path, const char *iface,
		       const char *name, const char *sig, void *ret, sd_bus_message **keep)
{
	_cleanup_message_ sd_bus_message *m = NULL;
	int r = sdbus.new_method_call(bus, &m, mgr->service, path, "org.freedesktop.DBus.Properties", "Get");
	if (r < 0)
		return r;
	r = sdbus.append(m, "ss", iface, name);
	if (r < 0)
		return r;
	if (*keep)
		sdbus.message_unref(*keep);
	*keep = NULL;
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	r = sdbus.call(bus, m, SDBUS_CALL_TIMEOUT_USEC, &e, keep);
	if (r < 0)
		return object_gone(mgr, &e) ? -ENOENT : r;
	return sdbus.read(*keep, "v", sig, ret);
}
