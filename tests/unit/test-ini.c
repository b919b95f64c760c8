#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "settings/ini.h"
#include "tap.h"

struct seen {
	char log[1024];
};

static int on_section(void *u, const struct ini_pos *pos, const char *name, const char *arg)
{
	struct seen *s = u;
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof(s->log) - n, "[%s|%s@%u]", name, arg ? arg : "-", pos->line);
	return 0;
}

static int on_entry(void *u, const struct ini_pos *pos, const char *section, const char *arg, const char *key,
		    const char *value)
{
	struct seen *s = u;
	size_t n = strlen(s->log);
	(void)arg;
	snprintf(s->log + n, sizeof(s->log) - n, "%s.%s=%s@%u;", section, key, value, pos->line);
	return 0;
}

static const struct ini_handler handler = { on_section, on_entry };

static void test_sections_and_keys(void)
{
	struct seen s = { "" };
	const char *text = "# comment\n[Lab]\nName = natlab\n\n[Network inet]\n; c\nSubnet=100.64.0.0/16\n"
			   "Bind=/a \\\n  /b\n";
	CHECK(ini_parse_string(text, "t.lab", &handler, &s) == 0);
	CHECK_STREQ(s.log, "[Lab|-@2]Lab.Name=natlab@3;[Network|inet@5]Network.Subnet=100.64.0.0/16@7;"
			   "Network.Bind=/a    /b@8;");
}

static void test_errors(void)
{
	struct seen s = { "" };
	CHECK(ini_parse_string("Key=1\n", "t", &handler, &s) == -EINVAL);
	CHECK(ini_parse_string("[Open\n", "t", &handler, &s) == -EINVAL);
	CHECK(ini_parse_string("[A]\nnovalue\n", "t", &handler, &s) == -EINVAL);
	CHECK(ini_parse_string("[]\n", "t", &handler, &s) == -EINVAL);
	CHECK(ini_parse_string("[A]\n=v\n", "t", &handler, &s) == -EINVAL);
	CHECK(ini_parse_string("", "t", &handler, &s) == 0);
}

int main(void)
{
	RUN(test_sections_and_keys);
	RUN(test_errors);
	TAP_END();
}
