#include "base/proctitle.h"

#include <string.h>
#include <sys/prctl.h>

static char *title_start;
static size_t title_space;

void proc_title_init(int argc, char **argv)
{
	if (argc < 1 || !argv[0])
		return;
	/* The strings are contiguous: from argv[0] to the end of the last one. */
	title_start = argv[0];
	title_space = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
}

void proc_title_set(const char *title)
{
	(void)prctl(PR_SET_NAME, title);
	if (!title_start || title_space == 0)
		return;
	size_t n = strnlen(title, title_space - 1);
	memset(title_start, 0, title_space);
	memcpy(title_start, title, n);
}
