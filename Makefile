# The two commands a new machine needs: `make run` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
RUN_FLAGS ?= --dev

.PHONY: deps test-deps configure build run test clean bench profile fuzz fuzz-build fuzz-smoke test-sanitize

deps:
	@bash scripts/install-deps.sh
	@cd web && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi

test-deps:
	@bash scripts/install-deps.sh --test
	@cd web && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi
	@cd tests && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi

# Debug info is line tables only (-g1): stack traces, sanitizer reports and perf keep
# function:file:line, and the Boost.Beast/Asio units compile a quarter faster than with -g.
configure:
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null

build: deps configure
	@cmake --build $(BUILD_DIR)

run: build
	./$(BUILD_DIR)/sorakd $(RUN_FLAGS)

test: test-deps configure
	@cmake --build $(BUILD_DIR)
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600
	@$(MAKE) --no-print-directory fuzz-smoke

# ---- fuzzing (fuzz/README.md, docs/operations.md) ----------------------------
# libFuzzer targets built with clang in their own build dir; `make test` runs
# each on its committed corpus for FUZZ_SMOKE_SECONDS, `make fuzz` for FUZZ_SECONDS.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
CCACHE := $(shell command -v ccache 2>/dev/null)
LAUNCHER := $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache,)

fuzz-build:
	@cmake -S fuzz -B $(FUZZ_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++ $(LAUNCHER) >/dev/null
	@cmake --build $(FUZZ_DIR)

fuzz-smoke: fuzz-build
	@bash fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS)

fuzz: test-deps fuzz-build
	@bash fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) --grow

# ---- AddressSanitizer + UndefinedBehaviorSanitizer over the whole suite -------
# Each unit-test binary runs whole as one ctest here (SORAK_GTEST_PER_TEST=OFF, CMakeLists.txt):
# a sanitized process is slow to start, and make test has already run every gtest on its own.
SAN_DIR ?= build-asan
SAN_FLAGS := -O1 -g1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_ENV := ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:exitcode=86:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87

test-sanitize: test-deps
	@cmake -S . -B $(SAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS="$(SAN_FLAGS)" $(LAUNCHER) \
	  -DSORAK_GTEST_PER_TEST=OFF >/dev/null
	@cmake --build $(SAN_DIR)
	cd $(SAN_DIR) && $(SAN_ENV) ctest --output-on-failure --timeout 900 -E '^browser\.'

# Every scenario against sorakd and the peers, side by side, each run twice: bench/RESULTS.md (about 30 minutes).
bench: build
	@bash scripts/install-bench-deps.sh
	BUILD_DIR=$(BUILD_DIR) bash bench/run.sh

# One case (PROFILE_CASE=fanout|connect|rest, default fanout 5k × 400) under perf (or callgrind): bench/results/profile-$(LABEL).txt.
profile: build
	@bash scripts/install-bench-deps.sh
	BUILD_DIR=$(BUILD_DIR) bash bench/profile.sh $(LABEL) "$(NOTE)"

clean:
	rm -rf $(BUILD_DIR)
