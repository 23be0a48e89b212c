# workledger — the two commands of the README, plus a few helpers. Wraps CMake and ctest.
#   make serve   install missing deps, build, run the MCP server over stdio on .motus/
#   make install PREFIX=DIR   build, then install bin/workledger and share/man/man1/workledger.1
#   make test    install missing deps, build with ASan+UBSan and -Werror, run every test, then
#                the optimised build with -Werror, the ThreadSanitizer suites and the fuzz targets
#   make soak    the 10-minute soak and fault campaign (tests/soak/README.md; not part of test)
# Build chatter goes to stderr so that `make serve` keeps stdout for the protocol.
BUILD      ?= build/release
TESTBUILD  ?= build/asan
FUZZBUILD  ?= build/fuzz
STRICTBUILD ?= build/strict
TSANBUILD  ?= build/tsan
SOAKBUILD  ?= build/release
SOAK_SECONDS ?= 600
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_GEN  := -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
MAKEFLAGS  += --no-print-directory

.PHONY: all deps build strict tsan serve test unit e2e fuzz soak bench clean install

all: build

deps:
	@./scripts/install-deps.sh >&2

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_GEN) >&2
	@cmake --build $(BUILD) -j $(JOBS) >&2

PREFIX     ?= /usr/local

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX) >&2

serve: build
	@$(BUILD)/workledger init --quiet >&2
	@exec $(BUILD)/workledger serve $(ARGS)

test: deps
	@cmake -S . -B $(TESTBUILD) -DCMAKE_BUILD_TYPE=Debug -DWL_SANITIZE=ON -DWL_WERROR=ON $(CMAKE_GEN)
	@cmake --build $(TESTBUILD) -j $(JOBS)
	@cd $(TESTBUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) strict
	@$(MAKE) tsan
	@$(MAKE) fuzz

# The optimised build with -Werror: -O2 enables warnings (-Wformat-truncation, ...) that the
# Debug sanitizer build cannot see.
strict: deps
	@cmake -S . -B $(STRICTBUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWL_WERROR=ON -DWL_TESTS=OFF $(CMAKE_GEN)
	@cmake --build $(STRICTBUILD) -j $(JOBS)

# ThreadSanitizer over the unit suites of the threaded modules (the Store's writer and readers,
# the MCP core's workers, the HTTP server and client, the MCP client). Any report fails; the
# only suppressions are in tests/support/tsan.supp, each with its proof.
TSAN_SUITES := ledger mcp transports client
tsan: deps
	@cmake -S . -B $(TSANBUILD) -DCMAKE_BUILD_TYPE=Debug -DWL_TSAN=ON -DWL_WERROR=ON $(CMAKE_GEN)
	@cmake --build $(TSANBUILD) -j $(JOBS) --target workledger $(addprefix check_,$(TSAN_SUITES))
	@cd $(TSANBUILD) && ctest --output-on-failure -j $(JOBS) \
	  -R '^unit_($(subst $(eval) ,|,$(TSAN_SUITES)))$$'

fuzz: deps
	@cmake -S . -B $(FUZZBUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DWL_FUZZ=ON $(CMAKE_GEN)
	@cmake --build $(FUZZBUILD) -j $(JOBS) --target fuzz_targets
	@cd $(FUZZBUILD) && ctest --output-on-failure -L fuzz

soak: build
	@./tests/soak/soak.sh $(SOAKBUILD)/workledger $(SOAK_SECONDS)

bench: build
	@./bench/run.sh $(BUILD)

clean:
	rm -rf build
