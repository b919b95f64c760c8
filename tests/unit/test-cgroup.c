#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "container/cgroup.h"
#include "container/systemd.h"
#include "tap.h"

static void test_parse_properties(void)
{
	struct cgroup_limits l = {};
	const char *why = NULL;
	CHECK(cgroup_limits_parse_property(&l, "MemoryMax=32M", &why) == 0);
	CHECK(l.set[CG_MEMORY_MAX] && l.value[CG_MEMORY_MAX] == 32ULL << 20);
	CHECK(cgroup_limits_parse_property(&l, "TasksMax=20", &why) == 0 && l.value[CG_TASKS_MAX] == 20);
	CHECK(cgroup_limits_parse_property(&l, "TasksMax=infinity", &why) == 0 &&
	      l.value[CG_TASKS_MAX] == CG_INFINITY);
	CHECK(cgroup_limits_parse_property(&l, "CPUQuota=50%", &why) == 0 && l.value[CG_CPU_QUOTA] == 5000);
	CHECK(cgroup_limits_parse_property(&l, "CPUQuota=250%", &why) == 0 && l.value[CG_CPU_QUOTA] == 25000);
	CHECK(cgroup_limits_parse_property(&l, "CPUWeight=200", &why) == 0);
	CHECK(cgroup_limits_any(&l));

	CHECK(cgroup_limits_parse_property(&l, "CPUQuota=50", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_property(&l, "CPUQuota=0%", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_property(&l, "CPUWeight=0", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_property(&l, "CPUWeight=infinity", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_property(&l, "MemoryMax=lots", &why) == -EINVAL);
	CHECK_STREQ(why, "invalid value");
	CHECK(cgroup_limits_parse_property(&l, "Memory=1G", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_property(&l, "MemoryMaxx=1G", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_property(&l, "MemoryMax", &why) == -EINVAL);
	CHECK_STREQ(why, "expected NAME=VALUE");

	struct cgroup_limits none = {};
	CHECK(!cgroup_limits_any(&none));
}

static void test_property_files(void)
{
	const char *file;
	char buf[64];
	CHECK(cgroup_property_file(CG_MEMORY_MAX, CGROUP_V2, 32ULL << 20, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(file, "memory.max");
	CHECK_STREQ(buf, "33554432");
	CHECK(cgroup_property_file(CG_MEMORY_MAX, CGROUP_V1, CG_INFINITY, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(file, "memory.limit_in_bytes");
	CHECK_STREQ(buf, "-1");
	CHECK(cgroup_property_file(CG_MEMORY_HIGH, CGROUP_V2, CG_INFINITY, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(buf, "max");
	CHECK(cgroup_property_file(CG_TASKS_MAX, CGROUP_V1, 20, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(file, "pids.max");
	CHECK_STREQ(buf, "20");
	CHECK(cgroup_property_file(CG_CPU_QUOTA, CGROUP_V2, 5000, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(file, "cpu.max");
	CHECK_STREQ(buf, "50000 100000");
	CHECK(cgroup_property_file(CG_CPU_QUOTA, CGROUP_V1, 25000, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(file, "cpu.cfs_quota_us");
	CHECK_STREQ(buf, "250000");
	CHECK(cgroup_property_file(CG_CPU_WEIGHT, CGROUP_V1, 100, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(file, "cpu.shares");
	CHECK_STREQ(buf, "1024");
	CHECK(cgroup_property_file(CG_CPU_WEIGHT, CGROUP_V2, 100, &file, buf, sizeof(buf)) == 0);
	CHECK_STREQ(buf, "100");
}

static void test_cpu_affinity(void)
{
	struct cgroup_limits l = {};
	const char *why;
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "0,2-3", &why) == 0);
	CHECK(l.has_cpu_affinity && CPU_ISSET(0, &l.cpu_affinity) && !CPU_ISSET(1, &l.cpu_affinity) &&
	      CPU_ISSET(2, &l.cpu_affinity) && CPU_ISSET(3, &l.cpu_affinity) &&
	      CPU_COUNT(&l.cpu_affinity) == 3);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "3-1", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "a", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "99999", &why) == -EINVAL);
}

/* The same table's D-Bus side: systemd's property names, CPUQuota as a rate per second. */
static void test_property_bus(void)
{
	struct unit_property u;
	CHECK(cgroup_property_bus(CG_MEMORY_MAX, 32ULL << 20, &u) == 0);
	CHECK_STREQ(u.name, "MemoryMax");
	CHECK(u.type == 't' && u.u64 == 32ULL << 20);
	CHECK(cgroup_property_bus(CG_MEMORY_HIGH, CG_INFINITY, &u) == 0);
	CHECK_STREQ(u.name, "MemoryHigh");
	CHECK(u.u64 == UINT64_MAX);
	CHECK(cgroup_property_bus(CG_TASKS_MAX, 20, &u) == 0);
	CHECK_STREQ(u.name, "TasksMax");
	CHECK(u.u64 == 20);
	CHECK(cgroup_property_bus(CG_CPU_QUOTA, 5000, &u) == 0); /* 50% */
	CHECK_STREQ(u.name, "CPUQuotaPerSecUSec");
	CHECK(u.u64 == 500000);
	CHECK(cgroup_property_bus(CG_CPU_QUOTA, 25000, &u) == 0 && u.u64 == 2500000);
	CHECK(cgroup_property_bus(CG_CPU_QUOTA, CG_INFINITY, &u) == 0 && u.u64 == UINT64_MAX);
	CHECK(cgroup_property_bus(CG_CPU_WEIGHT, 200, &u) == 0);
	CHECK_STREQ(u.name, "CPUWeight");
	CHECK(u.u64 == 200);
	CHECK(cgroup_property_bus(_CG_PROPERTY_MAX, 1, &u) == -EOPNOTSUPP);
}

static const struct unit_property *find(const struct unit_property *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return &p[i];
	return NULL;
}

/* What a scope gets: the limits given, TasksMax=16384 when none is (nspawn's default), and the
 * CPU affinity as AllowedCPUs' byte mask. */
static void test_unit_properties(void)
{
	struct unit_property props[_CG_PROPERTY_MAX + 1];
	uint8_t cpus[CPU_SETSIZE / 8];
	size_t n = cgroup_unit_properties(NULL, props, cpus, sizeof(cpus));
	CHECK(n == 1);
	CHECK_STREQ(props[0].name, "TasksMax");
	CHECK(props[0].u64 == 16384);

	struct cgroup_limits l = {};
	const char *why;
	CHECK(cgroup_limits_parse_property(&l, "MemoryMax=64M", &why) == 0);
	CHECK(cgroup_limits_parse_property(&l, "TasksMax=33", &why) == 0);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "1,8-9", &why) == 0);
	n = cgroup_unit_properties(&l, props, cpus, sizeof(cpus));
	CHECK(n == 3);
	const struct unit_property *p = find(props, n, "MemoryMax");
	CHECK(p && p->u64 == 64ULL << 20);
	p = find(props, n, "TasksMax");
	CHECK(p && p->u64 == 33);
	p = find(props, n, "AllowedCPUs");
	CHECK(p && p->type == 'a' && p->n_bytes == 2 && p->bytes[0] == 0x02 && p->bytes[1] == 0x03);
	CHECK(!find(props, n, "CPUWeight"));
}

/* machined's and nspawn's unit names: "machine-" + unit_name_escape(name) + ".scope". */
static void test_scope_name(void)
{
	static const struct {
		const char *machine, *unit;
		// clang-format off
	} cases[] = {
		{ "deb", "machine-deb.scope" },
		{ "my-box", "machine-my\\x2dbox.scope" },
		{ "a.b_c:1", "machine-a.b_c:1.scope" },
		{ ".x", "machine-\\x2ex.scope" },
		{ "a/b", "machine-a-b.scope" },
	};
	// clang-format on
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *u = systemd_scope_name(cases[i].machine);
		CHECK_STREQ(u, cases[i].unit);
		free(u);
	}
}

int main(void)
{
	RUN(test_parse_properties);
	RUN(test_property_files);
	RUN(test_cpu_affinity);
	RUN(test_property_bus);
	RUN(test_unit_properties);
	RUN(test_scope_name);
	TAP_END();
}
