/* Names users give things: machines, networks, labs, and the interface names derived from them. */
#pragma once
#include <net/if.h>
#include <stdbool.h>

#define MACHINE_NAME_MAX 64

/* Hostname rules: [A-Za-z0-9-_.], no leading '-' or '.', no "..", 1..64 bytes. */
bool machine_name_valid(const char *name);

/* prefix+name if it fits IFNAMSIZ-1 bytes, else prefix + the head of name + 8 hex digits of a
 * hash of the whole name, as systemd-nspawn shortens "ve-LONGNAME". Deterministic. 32 bits, not
 * 16: 200 names with one head collided one time in four with 16 (issue 18.9), with 32 about one
 * time in 200,000; the link's altname carries the whole name, so a collision names its owner. */
void ifname_from(char out[IFNAMSIZ], const char *prefix, const char *name);
/* Whether ifname_from shortens prefix+name. */
bool ifname_shortened(const char *prefix, const char *name);
bool ifname_valid(const char *name);
