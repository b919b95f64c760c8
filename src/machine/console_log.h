/* A machine's log, kept after the machine is gone (machinectl users read
 * `journalctl -u systemd-nspawn@NAME`): what its console printed while nobody was logged in, and
 * the supervisor's own lines (how PID 1 ended, why a start failed), in
 * $HAKO_STATE_DIR/logs/NAME.log. Past CONSOLE_LOG_MAX bytes the file becomes NAME.log.1 (the one
 * before it is dropped), so a machine never holds more than twice that of the host's disk. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONSOLE_LOG_MAX (64 * 1024)

struct console_log {
	int fd;
	char *path;
	bool is_stderr; /* stderr goes to the log too, and follows it when it rotates */
};

/* Opens (creates) the log of machine name for appending; with to_stderr, stderr writes to it. */
int console_log_open(const char *name, bool to_stderr, struct console_log *ret);
void console_log_close(struct console_log *l);
/* Appends data, rotating first if the file would pass CONSOLE_LOG_MAX. */
int console_log_append(struct console_log *l, const void *data, size_t n);
/* Writes the log of machine name to out (its last `lines` lines; 0: all of it), colours
 * dropped and every other control character escaped: what a machine printed must not act on the
 * reader's terminal. -ENOENT if the machine never wrote one. */
int console_log_show(const char *name, unsigned lines, FILE *out);
