/* The JSON that --json prints: one writer, so every command escapes alike (issue 20.2). */
#pragma once
#include <stdio.h>

/* s as a JSON string: '"', '\\' and control characters escaped, bytes that are not UTF-8
 * replaced by U+FFFD (an os-release or an interface name may hold anything); NULL as null. */
void json_string(FILE *f, const char *s);
/* A JSON array of strings. */
void json_strv(FILE *f, char *const *v);
/* ,"key":"value" (or null): a member after the first of an object. */
void json_member(FILE *f, const char *key, const char *value);
