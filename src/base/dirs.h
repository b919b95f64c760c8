/* hako's directories, each movable by an environment variable (tests point them into a temp dir). */
#pragma once
#include <stdbool.h>

enum hako_dir {
	HAKO_DIR_RUNTIME, /* /run/hako          HAKO_RUNTIME_DIR */
	HAKO_DIR_CONFIG,  /* /etc/hako          HAKO_CONFIG_DIR  */
	HAKO_DIR_STATE,   /* /var/lib/hako      HAKO_STATE_DIR   */
	HAKO_DIR_IMAGES,  /* /var/lib/machines  HAKO_IMAGE_DIR   */
};

const char *hako_dir(enum hako_dir dir);
/* malloc'd "<dir>/<printf(fmt)>"; NULL on OOM. */
char *hako_path(enum hako_dir dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Creates <dir>/<sub> (and parents), mode 0755; <dir> itself, when missing, with its own mode
 * (0700 for the images). */
int hako_mkdir(enum hako_dir dir, const char *sub);
/* Whether dir lets other users in more than its own mode would (the images: anything but 0700). */
bool hako_dir_open_to_others(enum hako_dir dir);
/* Whether dir is the built-in one (its variable unset, or naming the same path). */
bool hako_dir_is_default(enum hako_dir dir);
