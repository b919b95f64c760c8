/* libFuzzer target: arbitrary argv through a representative option table. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/opts.h"
#include "base/util.h"

struct cfg {
	bool flag;
	char *str;
	char **list;
};

static const struct opt table[] = {
	{ "flag", 'f', OPT_NONE, NULL, "", opt_set_flag, offsetof(struct cfg, flag), NULL },
	{ "str", 's', OPT_REQUIRED, "S", "", opt_set_string, offsetof(struct cfg, str), NULL },
	{ "list", 'l', OPT_OPTIONAL, "L", "", opt_append_string, offsetof(struct cfg, list), NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct opt_group groups[] = { OPT_GROUP(NULL, table) };
	char *buf = malloc(size + 1), *argv[64] = { "fuzz" };
	int argc = 1;
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	/* NUL bytes split the input into arguments. */
	for (size_t i = 0; i <= size && argc < 63; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;
	struct cfg c = { 0 };
	opts_parse(groups, 1, argc, argv, &c, 0, "", NULL);
	free(c.str);
	strv_free(c.list);
	free(buf);
	return 0;
}
