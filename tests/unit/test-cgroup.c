#include <errno.h>
#include <stdlib.h>

#include "container/cgroup.h"
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
	      CPU_ISSET(2, &l.cpu_affinity) && CPU_ISSET(3, &l.cpu_affinity) && CPU_COUNT(&l.cpu_affinity) == 3);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "3-1", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "a", &why) == -EINVAL);
	CHECK(cgroup_limits_parse_cpu_affinity(&l, "99999", &why) == -EINVAL);
}

int main(void)
{
	RUN(test_parse_properties);
	RUN(test_property_files);
	RUN(test_cpu_affinity);
	TAP_END();
}
