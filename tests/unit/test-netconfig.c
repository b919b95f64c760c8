#include <netinet/in.h>

#include "base/opts.h"
#include "container/config.h"
#include "container/options.h"
#include "tap.h"

static void test_port_spec(void)
{
	struct port_spec p;
	const char *why = NULL;
	CHECK(port_spec_parse("8080:80", &p, &why) == 0);
	CHECK(p.proto == IPPROTO_TCP && p.host_port == 8080 && p.container_port == 80);
	CHECK(port_spec_parse("udp:53", &p, &why) == 0);
	CHECK(p.proto == IPPROTO_UDP && p.host_port == 53 && p.container_port == 53);
	CHECK(port_spec_parse("tcp:65535:1", &p, &why) == 0 && p.host_port == 65535);
	const char *bad[] = { "",          "0",  "65536", "80:", ":80",      "sctp:80",   "tcp:",
			      "8080:80:1", "-1", "+80",   "80a", "udp:80:0", "1234567890" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(port_spec_parse(bad[i], &p, &why) < 0 && why);
	}
}

static void test_options_imply_private(void)
{
	const struct opt_group g[] = { { NULL, run_net_options, run_net_options_n } };
	char *argv[] = { "run",
			 "--network-zone=lab",
			 "-p",
			 "udp:5353:53",
			 "-p",
			 "8080:80",
			 "--network-interface=eth9",
			 "--network-interface=eth9",
			 NULL };
	struct run_config cfg = { 0 };
	CHECK(opts_parse(g, 1, 8, argv, &cfg, 0, "", NULL) == 8);
	CHECK(cfg.net.private_network);
	CHECK_STREQ(cfg.net.zone, "lab");
	CHECK(cfg.net.n_ports == 2 && cfg.net.ports[1].host_port == 8080);
	CHECK(cfg.net.interfaces && cfg.net.interfaces[0] && !cfg.net.interfaces[1]);
	run_config_free(&cfg);
	char *bad[] = { "run", "--network-zone=a-zone-name-too-long", NULL };
	CHECK(opts_parse(g, 1, 2, bad, &cfg, 0, "", NULL) < 0);
	run_config_free(&cfg);
	const struct opt *o;
	CHECK(opts_find_setting(g, 1, "Network", "Port", &o) >= 0 && o->short_name == 'p');
	CHECK(opts_find_setting(g, 1, "Network", "MACVLAN", &o) >= 0);
}

int main(void)
{
	RUN(test_port_spec);
	RUN(test_options_imply_private);
	TAP_END();
}
