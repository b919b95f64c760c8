#pragma once
#include "container/config.h"

/* Starts the machine cfg->machine in the background under its own supervisor, which inherits
 * lock_fd (the machine's lock, see machine_lock) and holds it for as long as it lives. Returns
 * once the machine runs (0), or hako's exit status for the failure, which was logged. */
int supervisor_start(struct run_config *cfg, int lock_fd);
