// memory_store.hpp: a store kept in process memory, for tests.
//
// The same contract as every store (tests/contract/store_contract_test.cpp),
// but nothing survives the process. `append` stores the message and runs
// `done` before it returns, on the caller's thread, outside the store's lock
// (so `done` may call back into the store).
//
// Thread-safety: every method may be called from any thread; one mutex guards
// all the data and is never held while a callback runs.
#pragma once

#include <memory>

#include "sorak/store.hpp"

namespace sorak {

std::unique_ptr<store> make_memory_store();

}  // namespace sorak
