// The local broker is header-only; this file keeps the component non-empty
// and is where a per-node event counter would go.
#include "broker/local_broker.hpp"
