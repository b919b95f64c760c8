/* sd_notify(3) messages, as an init in a machine sends them to the socket hako binds at
 * /run/host/notify (--notify-ready=yes). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Whether one datagram of len bytes says READY=1: sd_notify's newline-separated assignments, one
 * of them exactly "READY=1". A NUL byte ends the message, as it ends sd_notify's string. */
bool notify_says_ready(const char *msg, size_t len);
