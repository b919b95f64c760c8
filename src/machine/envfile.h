/* KEY=VALUE files in the os-release(5) dialect: one assignment a line, '#' comments, values bare
 * or in single or double quotes (backslash escapes in double quotes). os-release and the
 * machines' state files are read with it. */
#pragma once

/* Calls cb for each assignment, in order. Lines that are not assignments are skipped (os-release
 * is read leniently); a callback's negative return stops and is returned. */
int envfile_parse(const char *text, int (*cb)(void *userdata, const char *key, const char *value),
		  void *userdata);
/* Appends KEY="VALUE"\n to *buf (malloc'd, grown), quoting so envfile_parse gives VALUE back. */
int envfile_append(char **buf, const char *key, const char *value);
