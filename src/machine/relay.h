#pragma once
#include <stdbool.h>

/* Relays this terminal (stdin/stdout, raw while relaying) and a pty master: the window size
 * follows SIGWINCH. Ends when the pty's other side is closed (returns 0), when watch_fd (-1:
 * none) becomes readable or hangs up (0), or, with detach_escape, at three ^] within one
 * second (returns 1: the user detached). */
int relay_terminal(int master, int watch_fd, bool detach_escape);

/* Gives the pty (either side) the caller's window size, that of stdin or else stdout, if either is
 * a terminal. Called as the pty is made, before anything in the guest opens it: a program that
 * reads the size once at its start (agetty, stty) sees the caller's, not 0x0. */
void relay_copy_winsize(int pty);
