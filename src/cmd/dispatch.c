/* The one dispatcher and help of the commands that have subcommands. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "cmd/cmd.h"

/* "name args", the left column of the list. */
static void command_left(const struct command *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->name, c->args ? " " : "", c->args ? c->args : "");
}

void cmd_print_commands(FILE *f, const struct command *commands, size_t n)
{
	char left[64];
	int width = 0;
	for (size_t i = 0; i < n; i++) {
		command_left(&commands[i], left, sizeof(left));
		if (commands[i].summary)
			width = (int)strlen(left) > width ? (int)strlen(left) : width;
	}
	fprintf(f, "Commands:\n");
	for (size_t i = 0; i < n; i++) {
		command_left(&commands[i], left, sizeof(left));
		if (commands[i].summary)
			fprintf(f, "  %-*s  %s\n", width, left, commands[i].summary);
	}
}

static void family_help(FILE *f, const struct command_family *family)
{
	fprintf(f, "Usage: hako %s COMMAND ...\n\n", family->name);
	if (family->about)
		fprintf(f, "%s\n\n", family->about);
	cmd_print_commands(f, family->commands, family->n_commands);
	if (family->more_help)
		family->more_help(f);
}

int cmd_dispatch(const struct command_family *family, int argc, char **argv)
{
	if (argc < 2) {
		family_help(stderr, family);
		return EXIT_HAKO_USAGE;
	}
	if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
		family_help(stdout, family);
		return 0;
	}
	for (size_t i = 0; i < family->n_commands; i++) {
		if (!streq(family->commands[i].name, argv[1]))
			continue;
		if (family->before)
			family->before();
		return family->commands[i].run(argc - 1, argv + 1);
	}
	log_error("unknown %s command '%s' (see hako %s --help)", family->name, argv[1], family->name);
	return EXIT_HAKO_USAGE;
}
