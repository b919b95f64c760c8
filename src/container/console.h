/* The container's console: a pty whose slave becomes /dev/console and the payload's stdio, or
 * (pipe) hako's own stdin/stdout/stderr passed straight through. */
#pragma once

struct container;

/* Picks the mode (auto: a pty when stdin is a terminal) and opens the pty. */
int console_open(struct container *c);
void console_close(struct container *c);
