/* What the image commands share: src/cmd/image.c (list, clone, ...) and src/cmd/transfer.c
 * (import, export, pull). */
#pragma once
#include <stdbool.h>

char *image_path(const char *name, const char *suffix); /* <images>/NAME<suffix>, malloc'd */
int image_check_name(const char *name);                 /* logs a bad name */
int image_check_exists(const char *name, bool want);    /* logs when it is not as wanted */
int image_check_not_running(const char *name);          /* logs a running machine NAME */
/* Copies the tree s into the directory d (reflinks where the file system can), then s's owner
 * and mode to d, with a progress bar on a terminal. */
int image_copy_into(int s, int d);
