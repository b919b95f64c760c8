/* hako login and hako shell on a machine whose guest runs systemd, as machinectl's: a fresh
 * getty per login, and a shell that is a logind session of the guest's, both started by the
 * guest's own systemd (guestbus.h). Either returns -ENOMEDIUM when the guest has no systemd
 * listening: the caller then attaches to the console, or joins the machine itself (shell.c). */
#pragma once
#include "machine/machine.h"
#include "machine/shell.h"

/* A new pty of the machine's, container-getty@N.service started on it, and this terminal
 * relayed to it until ^]^]^] or until watch_fd (the supervisor's connection) hangs up. Returns
 * 0, -ENOMEDIUM, or a negative errno after logging. */
int session_login(const struct machine_state *st, int watch_fd);

/* req as a transient service of the guest's with PAMName=login; *ret_status gets its exit
 * status. Returns 0, -ENOMEDIUM, or hako's exit status (> 0) after logging. */
int session_shell(const struct machine_state *st, const struct shell_request *req, int *ret_status);
