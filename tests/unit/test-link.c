/* [Link] impairments as qdisc options: netem (a struct tc_netem_qopt, then 64-bit delays) at the
 * root with tbf under it, or tbf alone; read back the way the kernel parses them. */
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/link.h"
#include "tap.h"

static struct lab_topology *lab(const char *link_keys)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "[Network inet]\nSubnet=100.64.0.0/16\n[Node a]\nNetwork=inet\n[Link a]\n%s", link_keys);
	struct lab_topology *t = NULL;
	return topology_parse_string(text, "t.lab", &t) < 0 ? NULL : t;
}

/* The attributes of an options payload, after skip bytes of struct. */
static void attrs(const struct qdisc_spec *q, size_t skip, const struct nlattr *tb[], size_t max)
{
	memset(tb, 0, max * sizeof(*tb));
	const char *p = (const char *)q->opts + MNL_ALIGN(skip);
	int len = (int)(q->len - MNL_ALIGN(skip));
	for (const struct nlattr *a = (const void *)p; mnl_attr_ok(a, len); a = mnl_attr_next(a)) {
		len -= (int)MNL_ALIGN(a->nla_len);
		if (mnl_attr_get_type(a) < max)
			tb[mnl_attr_get_type(a)] = a;
	}
}

static void test_rate_only(void)
{
	struct lab_topology *t = lab("Rate=8mbit\n");
	CHECK(t != NULL);
	if (!t)
		return;
	struct qdisc_spec q[2];
	CHECK(!link_needs_netem(&t->nodes[0].link));
	CHECK(link_qdiscs(&t->nodes[0].link, q) == 1);
	CHECK_STREQ(q[0].kind, "tbf");
	CHECK(q[0].parent == TC_H_ROOT);
	char text[96];
	link_describe(&t->nodes[0].link, text, sizeof(text));
	CHECK_STREQ(text, "rate 8mbit");
	const struct nlattr *tb[TCA_TBF_MAX + 1];
	attrs(&q[0], 0, tb, TCA_TBF_MAX + 1);
	CHECK(tb[TCA_TBF_PARMS] && mnl_attr_get_payload_len(tb[TCA_TBF_PARMS]) == sizeof(struct tc_tbf_qopt));
	CHECK(tb[TCA_TBF_RATE64] && mnl_attr_get_u64(tb[TCA_TBF_RATE64]) == 1000000);
	CHECK(tb[TCA_TBF_BURST] && mnl_attr_get_u32(tb[TCA_TBF_BURST]) == 10000);
	if (tb[TCA_TBF_PARMS]) {
		const struct tc_tbf_qopt *o = mnl_attr_get_payload(tb[TCA_TBF_PARMS]);
		CHECK(o->rate.rate == 1000000 && o->rate.linklayer == TC_LINKLAYER_ETHERNET);
		CHECK(o->limit == 10000 + 50000); /* burst + 50 ms at the rate */
	}
	topology_free(t);
}

static void test_netem_and_rate(void)
{
	struct lab_topology *t = lab("Delay=20ms\nJitter=5ms\nLoss=1.5%\nRate=1gbit\n");
	CHECK(t != NULL);
	if (!t)
		return;
	struct qdisc_spec q[2];
	CHECK(link_needs_netem(&t->nodes[0].link));
	CHECK(link_qdiscs(&t->nodes[0].link, q) == 2);
	CHECK_STREQ(q[0].kind, "netem");
	CHECK(q[0].parent == TC_H_ROOT && q[0].handle == 0x10000);
	CHECK_STREQ(q[1].kind, "tbf");
	CHECK(q[1].parent == 0x10001); /* netem's class 1:1 */
	CHECK(q[0].len >= sizeof(struct tc_netem_qopt));
	struct tc_netem_qopt o;
	memcpy(&o, q[0].opts, sizeof(o));
	CHECK(o.limit == 1000);
	CHECK(o.loss == (uint32_t)(15000ULL * UINT32_MAX / 1000000));
	const struct nlattr *tb[TCA_NETEM_MAX + 1];
	attrs(&q[0], sizeof(o), tb, TCA_NETEM_MAX + 1);
	CHECK(tb[TCA_NETEM_LATENCY64] && mnl_attr_get_u64(tb[TCA_NETEM_LATENCY64]) == 20000000);
	CHECK(tb[TCA_NETEM_JITTER64] && mnl_attr_get_u64(tb[TCA_NETEM_JITTER64]) == 5000000);
	attrs(&q[1], 0, tb, TCA_TBF_MAX + 1);
	CHECK(tb[TCA_TBF_RATE64] && mnl_attr_get_u64(tb[TCA_TBF_RATE64]) == 125000000);
	char text[96];
	link_describe(&t->nodes[0].link, text, sizeof(text));
	CHECK_STREQ(text, "delay 20ms jitter 5ms loss 1.5% rate 1000mbit");
	topology_free(t);
}

static void test_errors(void)
{
	CHECK(lab("Jitter=5ms\n") == NULL);
	CHECK(lab("") == NULL);
	CHECK(lab("Loss=101%\n") == NULL);
}

int main(void)
{
	RUN(test_rate_only);
	RUN(test_netem_and_rate);
	RUN(test_errors);
	TAP_END();
}
