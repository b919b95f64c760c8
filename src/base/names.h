/* Names users give things: machines, networks, labs, and the interface names derived from them. */
#pragma once
#include <net/if.h>
#include <stdbool.h>

#define MACHINE_NAME_MAX 64

/* Hostname rules: [A-Za-z0-9-_.], no leading '-' or '.', no "..", 1..64 bytes. */
bool machine_name_valid(const char *name);

/* prefix+name if it fits IFNAMSIZ-1 bytes, else prefix + the head of name + a 4-hex-digit hash of
 * the whole name, as systemd-nspawn shortens "ve-LONGNAME". Deterministic. */
void ifname_from(char out[IFNAMSIZ], const char *prefix, const char *name);
bool ifname_valid(const char *name);
