/* --link-journal= (systemd-nspawn 252's meaning): the guest's journal in
 * /var/log/journal/MACHINE-ID seen from the host too, by a symlink to the tree (guest) or by
 * binding the host's directory into the tree (host, and auto when the host has one). */
#pragma once

struct container;

/* The option's setter: no, host, try-host, guest, try-guest, auto; NULL (-j) is try-guest. */
int link_journal_parse(void *target_run_config, const char *value, const char **why);

/* In the parent before clone, once the machine's id is known: makes the host's side (directory
 * or symlink) and, for a bind, opens the host directory's mount (c->journal_tree). Logs. */
int journal_prepare(struct container *c);
/* The child's side (the guest's directory, the bind) is mount_journal() in mounts.c. */
