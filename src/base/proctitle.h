/* Renaming the current process as ps shows it, without CAP_SYS_RESOURCE: the command line ps
 * reads is the memory argv's strings occupy, which the process may overwrite. */
#pragma once

/* Remembers where argv's strings live; call first thing in main(). */
void proc_title_init(int argc, char **argv);
/* Sets the command line (truncated to the space argv had) and the thread name. Anything that
 * still points into the old argv reads the new title afterwards: call it only in a process
 * that no longer needs its arguments (a fork's child). */
void proc_title_set(const char *title);
