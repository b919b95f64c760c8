/* hako list, show, status and log: what runs, as machinectl list/show/status print it, and a
 * machine's console log. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/machine.h"
#include "machine/cgtree.h"
#include "machine/console_log.h"
#include "machine/info.h"
#include "settings/apply.h"

/* ---- list, show, status ---- */

/* What hako list --all says of a name (machinectl's states, "stopped" for an image). */
enum machine_phase { PHASE_RUNNING, PHASE_STARTING, PHASE_STOPPED, PHASE_IN_USE };
/* "in-use": an image whose tree a machine of another name runs on (-M, an --ephemeral copy). */
static const char *const phase_names[] = { "running", "opening", "stopped", "in-use" };

struct info {
	struct machine_state st;
	enum machine_phase phase;
	char *os, *version, *pretty;
	char *machine_id; /* the guest's /etc/machine-id, NULL if none */
	char *cgroup;     /* as systemd names it */
	char **addresses;
	char *used_by; /* PHASE_IN_USE: the machine that runs on the tree */
	bool has_memory, has_tasks;
	uint64_t memory, tasks;
};

static void info_done(struct info *in)
{
	machine_state_done(&in->st);
	free(in->os);
	free(in->version);
	free(in->pretty);
	free(in->machine_id);
	free(in->cgroup);
	strv_free(in->addresses);
	free(in->used_by);
}

/* The OS of the tree root (an image directory, or a running machine's seen through its leader). */
static void info_load_os(struct info *in, int root)
{
	in->os = machine_os_release(root, "ID");
	in->version = machine_os_release(root, "VERSION_ID");
	in->pretty = machine_os_release(root, "PRETTY_NAME");
	in->machine_id = machine_id_of(root);
}

static int info_load(const char *name, struct info *in)
{
	*in = (struct info){ 0 };
	int r = machine_get(name, &in->st);
	if (r <= 0)
		return r;
	_cleanup_close_ int root = machine_open_root(NULL, in->st.leader);
	info_load_os(in, root);
	in->cgroup = cgroup_display_path(in->st.cgroup);
	(void)machine_addresses(in->st.leader, &in->addresses);
	return 1;
}

/* A running machine's tree by its inode: hako list --all stat()s each machine's tree once and
 * looks every image up among them, not every machine's state and tree again per image (the cost
 * grew with images times machines, issue 21). */
struct tree {
	dev_t dev;
	ino_t ino;
	const char *name; /* the machine's, borrowed from its info */
};

static int tree_cmp(const void *a, const void *b)
{
	const struct tree *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The trees of the running machines among infos (n of them), sorted, their number in *ret_n. */
static struct tree *trees_of(const struct info *infos, size_t n, size_t *ret_n)
{
	struct tree *trees = calloc(n + 1, sizeof(*trees));
	size_t k = 0;
	if (!trees)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct stat tree;
		if (infos[i].phase != PHASE_RUNNING || !infos[i].st.root || stat(infos[i].st.root, &tree) < 0)
			continue;
		trees[k++] = (struct tree){ tree.st_dev, tree.st_ino, infos[i].st.name };
	}
	qsort(trees, k, sizeof(*trees), tree_cmp);
	*ret_n = k;
	return trees;
}

/* An image that is not running under its name (hako list --all): its name, its OS from the
 * tree, and the machine that runs on it under another name, if one does. */
static int info_load_image(const char *name, const struct tree *trees, size_t n_trees, struct info *in)
{
	*in = (struct info){ .phase = PHASE_STOPPED };
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_IMAGES, "%s", name);
	if (!dir || !(in->st.name = strdup(name)))
		return -ENOMEM;
	_cleanup_close_ int root = machine_open_root(dir, 0);
	info_load_os(in, root);
	struct stat image;
	if (n_trees == 0 || root < 0 || fstat(root, &image) < 0)
		return 1;
	struct tree key = { .dev = image.st_dev, .ino = image.st_ino };
	const struct tree *on = bsearch(&key, trees, n_trees, sizeof(*trees), tree_cmp);
	if (!on)
		return 1;
	in->used_by = strdup(on->name);
	if (!in->used_by)
		return -ENOMEM;
	in->phase = PHASE_IN_USE;
	return 1;
}

/* Memory and tasks from the machine's cgroups (show and status, not list: every hierarchy is
 * read). */
static void info_load_usage(struct info *in)
{
	_cleanup_strv_free_ char **dirs = NULL;
	if (machine_cgroup_dirs(&in->st, &dirs) < 0)
		return;
	in->has_memory = machine_memory(dirs, &in->memory) >= 0;
	in->has_tasks = machine_tasks(dirs, &in->tasks) >= 0;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* A missing value is "" here, as in systemctl show's output. */
static void put_json(const char *s)
{
	json_string(stdout, s ? s : "");
}

/* The columns of hako list, machinectl's; STATE only with --all, where stopped machines (the
 * images) and starting ones are listed too. */
enum { COL_MACHINE, COL_CLASS, COL_SERVICE, COL_STATE, COL_OS, COL_VERSION, COL_ADDRESSES, N_COLS };
static const char *const list_headers[N_COLS] = { "MACHINE", "CLASS",   "SERVICE",  "STATE",
						  "OS",      "VERSION", "ADDRESSES" };
#define LIST_CELL 256

/* The addresses shown: max of them (-1: all), "…" after them when there are more. */
static void format_addresses(char *const *addresses, int max, char *buf, size_t size)
{
	size_t n = strv_length(addresses), shown = max < 0 || (size_t)max > n ? n : (size_t)max, len = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < shown && len < size; k++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? " " : "", addresses[k]);
	if (shown < n && len < size)
		snprintf(buf + len, size - len, "…");
	if (!*buf)
		snprintf(buf, size, "-");
}

static void list_row(const struct info *in, int max_addresses, char cells[N_COLS][LIST_CELL])
{
	bool image = in->phase == PHASE_STOPPED || in->phase == PHASE_IN_USE;
	const char *v[N_COLS] = { in->st.name,
				  "container",
				  image ? "-" : "hako",
				  phase_names[in->phase],
				  or_dash(in->os),
				  or_dash(in->version),
				  "" };
	for (size_t c = 0; c < COL_ADDRESSES; c++)
		snprintf(cells[c], LIST_CELL, "%s", v[c]);
	format_addresses(in->addresses, max_addresses, cells[COL_ADDRESSES], LIST_CELL);
}

static void list_json(struct info *infos, size_t n, bool all)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		printf(i ? ",{\"machine\":" : "{\"machine\":");
		put_json(infos[i].st.name);
		printf(",\"class\":\"container\",\"service\":");
		put_json(infos[i].phase == PHASE_STOPPED || infos[i].phase == PHASE_IN_USE ? NULL : "hako");
		if (all)
			printf(",\"state\":\"%s\"", phase_names[infos[i].phase]);
		if (infos[i].used_by)
			json_member(stdout, "used_by", infos[i].used_by);
		printf(",\"os\":");
		put_json(infos[i].os);
		printf(",\"version\":");
		put_json(infos[i].version);
		printf(",\"addresses\":");
		json_strv(stdout, infos[i].addresses);
		putchar('}');
	}
	printf("]\n");
}

struct list_opts {
	bool all, json, no_legend, no_pager, value;
	int max_addresses; /* -1: all; 0: no ADDRESSES column */
	char **props;      /* show -p: the properties to print, NULL for all */
};

static void list_opts_done(struct list_opts *o)
{
	strv_free(o->props);
}

/* Whether column c is printed. */
static bool list_column(const struct list_opts *o, size_t c)
{
	return (c != COL_STATE || o->all) && (c != COL_ADDRESSES || o->max_addresses != 0);
}

static void list_line(const struct list_opts *o, const size_t w[N_COLS], const char *const v[N_COLS])
{
	size_t last = o->max_addresses != 0 ? COL_ADDRESSES : COL_VERSION;
	for (size_t c = 0; c <= last; c++)
		if (list_column(o, c))
			printf("%-*s%s", c == last ? 0 : (int)w[c], v[c], c == last ? "\n" : " ");
}

static void list_table(struct info *infos, size_t n, const struct list_opts *o)
{
	if (n == 0) {
		if (!o->no_legend)
			printf("No machines.\n");
		return;
	}
	char(*cells)[N_COLS][LIST_CELL] = calloc(n, sizeof(*cells));
	size_t w[N_COLS];
	if (!cells)
		return;
	for (size_t c = 0; c < N_COLS; c++)
		w[c] = o->no_legend ? 0 : strlen(list_headers[c]);
	for (size_t i = 0; i < n; i++) {
		list_row(&infos[i], o->max_addresses, cells[i]);
		for (size_t c = 0; c < N_COLS; c++)
			if (strlen(cells[i][c]) > w[c])
				w[c] = strlen(cells[i][c]);
	}
	if (!o->no_legend)
		list_line(o, w, list_headers);
	for (size_t i = 0; i < n; i++) {
		const char *v[N_COLS];
		for (size_t c = 0; c < N_COLS; c++)
			v[c] = cells[i][c];
		list_line(o, w, v);
	}
	if (!o->no_legend)
		printf("\n%zu machines listed.\n", n);
	free(cells);
}

/* -o/--output: machinectl's output modes that fit a table ("short") or JSON. */
static int set_output(void *target, const char *value, const char **why)
{
	static const char *const modes[] = { "short", "json" };
	for (size_t k = 0; k < ELEMENTSOF(modes); k++)
		if (streq(value, modes[k])) {
			*(bool *)target = k == 1;
			return 0;
		}
	*why = "expected short or json";
	return -EINVAL;
}

static int set_max_addresses(void *target, const char *value, const char **why)
{
	int n;
	if (streq(value, "all")) {
		*(int *)target = -1;
		return 0;
	}
	if (parse_int(value, &n) < 0 || n < 0) {
		*why = "expected a number of addresses or all";
		return -EINVAL;
	}
	*(int *)target = n;
	return 0;
}

/* -p NAME[,NAME...], repeatable. */
static int add_properties(void *target, const char *value, const char **why)
{
	_cleanup_free_ char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		int r = opt_append_string(target, p, why);
		if (r < 0)
			return r;
	}
	return 0;
}

#define LIST_OPT(f) offsetof(struct list_opts, f)
// clang-format off
static const struct opt list_options[] = {
	{ "all", 'a', OPT_NONE, NULL, "Also list stopped machines (the images) and those starting", opt_set_flag, LIST_OPT(all), NULL },
	{ "output", 'o', OPT_REQUIRED, "MODE", "short (a table) or json", set_output, LIST_OPT(json), NULL },
	{ "json", 0, OPT_NONE, NULL, "Print JSON (as -o json)", opt_set_flag, LIST_OPT(json), NULL },
	{ "no-pager", 0, OPT_NONE, NULL, "Accepted for machinectl's sake: hako never pages", opt_set_flag, LIST_OPT(no_pager), NULL },
	{ "no-legend", 0, OPT_NONE, NULL, "No header and no footer", opt_set_flag, LIST_OPT(no_legend), NULL },
	{ "max-addresses", 0, OPT_REQUIRED, "N", "Show N addresses a machine (1; all; 0 hides the column)", set_max_addresses, LIST_OPT(max_addresses), NULL },
};
// clang-format on

// clang-format off
static const struct opt show_options[] = {
	{ "property", 'p', OPT_REQUIRED, "NAME[,NAME...]", "Show only these properties", add_properties, LIST_OPT(props), NULL },
	{ "value", 0, OPT_NONE, NULL, "Print the values only, without NAME=", opt_set_flag, LIST_OPT(value), NULL },
	{ "output", 'o', OPT_REQUIRED, "MODE", "short (NAME=VALUE lines) or json", set_output, LIST_OPT(json), NULL },
	{ "json", 0, OPT_NONE, NULL, "Print JSON (as -o json)", opt_set_flag, LIST_OPT(json), NULL },
	{ "no-pager", 0, OPT_NONE, NULL, "Accepted for machinectl's sake: hako never pages", opt_set_flag, LIST_OPT(no_pager), NULL },
};
// clang-format on

/* The names to list, sorted: the machines with a runtime directory (live), and with --all the
 * images; both lists come sorted and are merged in one pass. */
static int list_names(char *const *live, bool all, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL, **images = NULL;
	int r = all ? machine_image_names(&images) : 0;
	if (r < 0)
		return r;
	size_t n_live = strv_length(live), n_images = strv_length(images), i = 0, k = 0;
	while (i < n_live || k < n_images) {
		int cmp = i == n_live ? 1 : k == n_images ? -1 : strcmp(live[i], images[k]);
		r = strv_push(&names, cmp <= 0 ? live[i] : images[k]);
		if (r < 0)
			return r;
		i += cmp <= 0;
		k += cmp >= 0;
	}
	*ret = TAKE_PTR(names);
	return 0;
}

/* Not running, yet its directory is there: its supervisor is starting it (a stale one was just
 * collected). A machine that ended meanwhile is no longer starting. */
static bool is_starting(const char *name)
{
	_cleanup_free_ char *dir = machine_path(name, NULL);
	return dir && access(dir, F_OK) == 0;
}

/* Fills infos (one per name, in the names' order) and returns how many: the running machines'
 * first, so that each image is then looked up among their trees. */
static size_t list_load(char *const *names, char *const *live, bool all, struct info *infos)
{
	size_t total = strv_length(names), n_trees = 0, n = 0;
	for (size_t k = 0; k < total && live && *live; k++) {
		if (!streq(names[k], *live))
			continue; /* both sorted: live is a subsequence of names */
		live++;
		if (info_load(names[k], &infos[k]) <= 0)
			info_done(&infos[k]);
	}
	_cleanup_free_ struct tree *trees = all ? trees_of(infos, total, &n_trees) : NULL;
	for (size_t k = 0; k < total; k++) {
		struct info *in = &infos[k];
		if (in->st.name || !all)
			continue;
		if (is_starting(names[k])) {
			in->phase = PHASE_STARTING;
			in->st.name = strdup(names[k]);
		} else if (info_load_image(names[k], trees, n_trees, in) < 0)
			info_done(in);
	}
	for (size_t k = 0; k < total; k++)
		if (infos[k].st.name)
			infos[n++] = infos[k]; /* moved down, never over one still to move */
	return n;
}

int cmd_list(int argc, char **argv)
{
	struct list_opts o = { .max_addresses = 1 };
	int i, r = machine_cmd_parse(list_options, ELEMENTSOF(list_options), argc, argv, &o, 0,
				     "Usage: hako list [OPTIONS]\n\nList the running machines.", &i);
	if (r >= 0)
		return r;
	if (i < argc) {
		log_error("hako list takes no arguments");
		return EXIT_HAKO_USAGE;
	}
	machines_collect_stale();
	_cleanup_strv_free_ char **names = NULL, **live = NULL;
	r = machine_names(&live);
	if (r < 0) {
		log_errno(r, "cannot list the machines");
		return EXIT_HAKO_FAILED;
	}
	r = list_names(live, o.all, &names);
	if (r < 0) {
		log_errno(r, "cannot list the machines");
		return EXIT_HAKO_FAILED;
	}
	size_t total = strv_length(names);
	struct info *infos = calloc(total + 1, sizeof(*infos));
	if (!infos)
		return EXIT_HAKO_FAILED;
	size_t n = list_load(names, live, o.all, infos);
	if (o.json)
		list_json(infos, n, o.all);
	else
		list_table(infos, n, &o);
	for (size_t k = 0; k < n; k++)
		info_done(&infos[k]);
	free(infos);
	return 0;
}

static void format_time(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", localtime_r(&t, &tm));
}

/* A machine's Id as machined prints it: the guest's machine-id, else (none yet) the uuid hako
 * gave it, without dashes. */
static void format_id(const struct info *in, char out[33])
{
	const char *uuid = in->machine_id ? in->machine_id : in->st.uuid;
	size_t k = 0;
	for (const char *p = uuid; p && *p && k < 32; p++)
		if (*p != '-')
			out[k++] = *p;
	out[k] = '\0';
}

/* One property of hako show: text, a number (bare in JSON) or a list (an array in JSON). */
struct prop {
	const char *name, *text;
	bool number, is_list;
	char *const *list;
};

static void print_prop(const struct list_opts *o, const struct prop *p, bool *first)
{
	if (o->props && !strv_contains(o->props, p->name))
		return;
	if (o->json) {
		printf(*first ? "{\"%s\":" : ",\"%s\":", p->name);
		*first = false;
		if (p->is_list)
			json_strv(stdout, p->list);
		else if (p->number)
			printf("%s", p->text);
		else
			put_json(p->text);
		return;
	}
	if (!o->value)
		printf("%s=", p->name);
	if (!p->is_list)
		printf("%s", p->text ? p->text : "");
	for (char *const *a = p->list; a && *a; a++)
		printf("%s%s", a == p->list ? "" : " ", *a);
	putchar('\n');
}

static void show_props(const struct info *in, const struct list_opts *o)
{
	char since[64], id[33], leader[16], memory[24], tasks[24];
	format_time(in->st.since_usec, since, sizeof(since));
	format_id(in, id);
	snprintf(leader, sizeof(leader), "%d", (int)in->st.leader);
	snprintf(memory, sizeof(memory), "%llu", (unsigned long long)in->memory);
	snprintf(tasks, sizeof(tasks), "%llu", (unsigned long long)in->tasks);
	// clang-format off
	const struct prop props[] = {
		{ "Name", in->st.name },  { "Id", id },  { "Timestamp", since },
		{ "Service", "hako" },    { "Leader", leader }, { "Class", "container" },
		{ "RootDirectory", in->st.root }, { "State", "running" },
		{ "ControlGroup", in->cgroup }, { "NetworkNamespace", in->st.netns },
		{ "OS", in->pretty },
		/* systemctl show's names; absent when no hierarchy counts them. */
		{ "MemoryCurrent", in->has_memory ? memory : NULL, true },
		{ "TasksCurrent", in->has_tasks ? tasks : NULL, true },
		{ "Addresses", NULL, false, true, in->addresses },
	};
	// clang-format on
	bool first = true;
	for (size_t i = 0; i < ELEMENTSOF(props); i++)
		if (!props[i].number || props[i].text)
			print_prop(o, &props[i], &first);
	if (o->json)
		printf(first ? "{}\n" : "}\n");
}

static int load_one(int argc, char **argv, int i, struct info *in)
{
	if (argc - i != 1)
		return machine_cmd_one_name();
	int r = machine_cmd_get_running(argv[i], &in->st);
	if (r != 0)
		return r;
	machine_state_done(&in->st);
	if (info_load(argv[i], in) <= 0)
		return EXIT_HAKO_USAGE;
	info_load_usage(in);
	return 0;
}

int cmd_show(int argc, char **argv)
{
	_cleanup_(list_opts_done) struct list_opts o = { 0 };
	int i, r = machine_cmd_parse(
		       show_options, ELEMENTSOF(show_options), argc, argv, &o, 0,
		       "Usage: hako show [OPTIONS] NAME\n\nShow a running machine's properties.", &i);
	if (r >= 0)
		return r;
	struct info in = { 0 };
	r = load_one(argc, argv, i, &in);
	if (r == 0)
		show_props(&in, &o);
	info_done(&in);
	return r;
}

static void format_bytes(uint64_t b, char *buf, size_t size)
{
	static const char units[] = "BKMGT";
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* The host end of the machine's veth, as machinectl status shows it: hako names it from the
 * machine's name (ve- on its own, vb- on a bridge, zone or network). */
static void print_iface(const char *machine)
{
	static const char *const prefixes[] = { "ve-", "vb-" };
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		char name[IFNAMSIZ];
		ifname_from(name, prefixes[i], machine);
		if (if_nametoindex(name) > 0)
			printf("%16s: %s\n", "Iface", name);
	}
}

static void print_status(const struct info *in)
{
	char since[64], id[33], mem[32] = "-", tasks[32] = "-";
	format_time(in->st.since_usec, since, sizeof(since));
	format_id(in, id);
	if (in->has_memory)
		format_bytes(in->memory, mem, sizeof(mem));
	if (in->has_tasks)
		snprintf(tasks, sizeof(tasks), "%llu", (unsigned long long)in->tasks);
	printf("%s(%s)\n", in->st.name, id);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t ago = ((uint64_t)now.tv_sec * 1000000 - in->st.since_usec) / 1000000;
	printf("%16s: %s; %llumin %llus ago\n", "Since", since, (unsigned long long)(ago / 60),
	       (unsigned long long)(ago % 60));
	printf("%16s: %d (%s)\n", "Leader", (int)in->st.leader, or_dash(in->st.init));
	printf("%16s: hako; class container\n", "Service");
	printf("%16s: %s\n", "Root", in->st.root);
	print_iface(in->st.name);
	for (char **a = in->addresses; a && *a; a++)
		printf("%16s: %s\n", a == in->addresses ? "Address" : "", *a);
	printf("%16s: %s\n", "OS", or_dash(in->pretty));
	if (*in->st.netns)
		printf("%16s: %s\n", "Network", in->st.netns);
	printf("%16s: %s\n", "Tasks", tasks);
	printf("%16s: %s\n", "Memory", mem);
	printf("%16s: %s\n", "CGroup", or_dash(in->cgroup));
	if (*in->st.cgroup)
		cgroup_tree_print(stdout, in->st.cgroup, "                  ");
}

/* The lines of a machine's log that hako status shows, as systemctl status shows a unit's. */
#define STATUS_LOG_LINES 10

/* The tail of a machine's log after its status (nothing if it never wrote one). */
static void print_log_tail(const char *name)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	int r = console_log_show(name, STATUS_LOG_LINES, f);
	if (fclose(f) == 0 && r >= 0)
		printf("\n%s", text);
}

int cmd_status(int argc, char **argv)
{
	struct list_opts o = { 0 };
	int i, r = machine_cmd_parse(
		       show_options + 4, 1, argc, argv, &o, 0,
		       "Usage: hako status NAME\n\nShow a running machine's status and the last lines of its log;\n"
		       "of a stopped machine, its log's last lines.",
		       &i);
	if (r >= 0)
		return r;
	struct info in = { 0 };
	r = load_one(argc, argv, i, &in);
	if (r == 0)
		print_status(&in);
	info_done(&in);
	if (r != EXIT_HAKO_FAILED && argc - i == 1 && machine_check_name("machine", argv[i]) == 0)
		print_log_tail(argv[i]);
	return r;
}

struct log_opts {
	unsigned lines;
};

static int set_lines(void *target, const char *value, const char **why)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(value, &end, 10);
	if (errno || end == value || *end || n > 100000 || value[0] == '-') {
		*why = "expected a number of lines (0 to 100000)";
		return -EINVAL;
	}
	*(unsigned *)target = (unsigned)n;
	return 0;
}

// clang-format off
static const struct opt log_options[] = {
	{ "lines", 'n', OPT_REQUIRED, "N", "Show the last N lines only (journalctl's -n)", set_lines, offsetof(struct log_opts, lines), NULL },
};
// clang-format on

int cmd_log(int argc, char **argv)
{
	struct log_opts o = { 0 };
	int i, r = machine_cmd_parse(
		       log_options, ELEMENTSOF(log_options), argc, argv, &o, 0,
		       "Usage: hako log [-n N] NAME\n\n"
		       "Show a machine's log: what its console printed while nobody was logged in, when it\n"
		       "started and how PID 1 ended. It is kept after the machine stops (the last 64-128 KiB).",
		       &i);
	if (r >= 0)
		return r;
	if (argc - i != 1)
		return machine_cmd_one_name();
	if (machine_cmd_check_name(argv[i]) < 0)
		return EXIT_HAKO_USAGE;
	r = console_log_show(argv[i], o.lines, stdout);
	if (r == -ENOENT) {
		log_error("machine %s has no log (it never ran under hako start)", argv[i]);
		return EXIT_HAKO_USAGE;
	}
	if (r < 0)
		return log_errno(r, "cannot read the log of machine %s", argv[i]), EXIT_HAKO_FAILED;
	return 0;
}
