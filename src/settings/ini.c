#include "settings/ini.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

static char *strip(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

struct parser {
	const struct ini_handler *h;
	void *userdata;
	struct ini_pos pos;
	char *section; /* malloc'd */
	char *arg;     /* malloc'd or NULL */
};

static int parse_section(struct parser *p, char *line)
{
	size_t n = strlen(line);
	if (line[n - 1] != ']') {
		log_error("%s:%u: missing ']' in section header", p->pos.file, p->pos.line);
		return -EINVAL;
	}
	line[n - 1] = 0;
	char *name = strip(line + 1);
	char *arg = name + strcspn(name, " \t");
	if (*arg) {
		*arg++ = 0;
		arg = strip(arg);
	}
	if (!*name) {
		log_error("%s:%u: empty section name", p->pos.file, p->pos.line);
		return -EINVAL;
	}
	free(p->section);
	free(p->arg);
	p->section = strdup(name);
	p->arg = *arg ? strdup(arg) : NULL;
	if (!p->section || (*arg && !p->arg))
		return -ENOMEM;
	return p->h->section ? p->h->section(p->userdata, &p->pos, p->section, p->arg) : 0;
}

static int parse_entry(struct parser *p, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq) {
		log_error("%s:%u: expected Key=Value, got '%s'", p->pos.file, p->pos.line, line);
		return -EINVAL;
	}
	*eq = 0;
	char *key = strip(line), *value = strip(eq + 1);
	if (!*key) {
		log_error("%s:%u: missing key before '='", p->pos.file, p->pos.line);
		return -EINVAL;
	}
	if (!p->section) {
		log_error("%s:%u: '%s=' is outside any [Section]", p->pos.file, p->pos.line, key);
		return -EINVAL;
	}
	return p->h->entry ? p->h->entry(p->userdata, &p->pos, p->section, p->arg, key, value) : 0;
}

static int parse_line(struct parser *p, char *raw)
{
	char *line = strip(raw);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	return *line == '[' ? parse_section(p, line) : parse_entry(p, line);
}

int ini_parse_string(const char *text, const char *file, const struct ini_handler *h, void *userdata)
{
	struct parser p = { .h = h, .userdata = userdata, .pos = { .file = file, .line = 0 } };
	/* A UTF-8 byte order mark, which some editors write: systemd skips it too. */
	const char *bom = startswith(text, "\xef\xbb\xbf");
	_cleanup_free_ char *copy = strdup(bom ? bom : text);
	_cleanup_free_ char *joined = NULL;
	int r = 0;
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	unsigned next_line = 1;
	for (char *cur = copy; cur && r >= 0; cur = save) {
		char *nl = strchr(cur, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = 0;
		if (!*cur && !save)
			break;
		if (!joined)
			p.pos.line = next_line;
		next_line++;
		/* A trailing backslash continues the line (systemd's rule); comments never continue. */
		size_t n = strlen(cur);
		bool cont = n > 0 && cur[n - 1] == '\\' && *strip(cur) != '#' && *strip(cur) != ';';
		if (cont)
			cur[n - 1] = ' ';
		char *j = joined ? xasprintf("%s%s", joined, cur) : strdup(cur);
		free(joined);
		joined = j;
		if (!joined)
			r = -ENOMEM;
		else if (!cont || !save) {
			r = parse_line(&p, joined);
			free(joined);
			joined = NULL;
		}
	}
	free(p.section);
	free(p.arg);
	return r;
}

int ini_read_file(const char *path, char **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file_bounded(path, READ_FILE_MAX, &text, &len);
	if (r < 0) {
		log_error("cannot read %s: %s", path, read_error_str(r));
		return r;
	}
	if (memchr(text, 0, len)) {
		log_error("%s: not a text file (contains a NUL byte)", path);
		return -EINVAL;
	}
	*ret = TAKE_PTR(text);
	return 0;
}

int ini_parse_file(const char *path, const struct ini_handler *h, void *userdata)
{
	_cleanup_free_ char *text = NULL;
	int r = ini_read_file(path, &text);
	return r < 0 ? r : ini_parse_string(text, path, h, userdata);
}
