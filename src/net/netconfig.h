/* Per-container network options (issue: networks). Owned by src/net/. */
#pragma once
#include <stdbool.h>

struct net_config {
	bool private_network;  /* --private-network: own namespace with only lo */
	char *namespace_path;  /* --network-namespace-path= */
};
