# tern — `make run` starts the whole system, `make test` runs every test.
# Both install what is missing first (Debian packages, Go tools).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN   := $(CURDIR)/.bin
TERN  := $(CURDIR)/bin/tern
ARGS  ?=

PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_CONNECT_VERSION := v1.21.1
BUF_VERSION                := v1.75.0
K6_VERSION                 := v1.8.1

.PHONY: run test fuzz build deps generate checkgenerate lint tools clean bench bench-k6 soak

run: deps build ## start tern with a local ClickHouse, Kafka broker and simulator SMSC
	exec $(TERN) serve --dev $(ARGS)

test: deps build ## start the services tests need, run all tests, then each fuzz target briefly
	$(TERN) devenv -- go test -count=1 -timeout 12m ./...
	$(MAKE) --no-print-directory fuzz

# Each fuzz target runs for FUZZTIME on top of its seed corpus (testdata/fuzz/).
# A failing run prints its output and runs once more: an input that fails
# is saved under testdata/fuzz/ and replayed first, so a finding fails
# again; a failure of the fuzzing engine itself, which leaves no input
# (once in a CI run, with nothing saved), gets its second chance.
FUZZTIME ?= 3s
fuzz:
	@for pkg in $$(go list ./...); do \
	  for f in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    out=$$(go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg 2>&1) && continue; \
	    echo "$$out" | tail -40; \
	    echo "fuzz $$pkg $$f failed; once more, any input it saved replayed first"; \
	    go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

build:
	go build -o $(TERN) ./cmd/tern

# Two instances and two carriers under load while faults come every few
# seconds (hangs, error storms, SIGKILL, dropped sessions, throttling,
# restarts), then every message checked. `make soak SOAK=30m SOAK_RATE=500`.
SOAK       ?= 10m
SOAK_RATE  ?= 200
SOAK_LIMIT ?=
soak: deps build ## faults under load for SOAK (10m), then checks nothing was lost, doubled or sent early
	TERN_SOAK=$(SOAK) TERN_SOAK_RATE=$(SOAK_RATE) TERN_SOAK_LIMIT=$(SOAK_LIMIT) $(TERN) devenv -- go test -tags soak -count=1 -timeout 0 -run '^TestSoak$$' -v ./cmd/tern

# End to end (Send → Kafka → pipeline → SMPP → receipts → ClickHouse) beside
# an echo handler and raw Kafka, 60 s each plus startup and drain: about six
# minutes. `make bench BENCHARGS='-duration 20s'`; go run ./bench/e2e -h.
bench: deps ## measure end to end beside its baselines; prints a table for bench/RESULTS.md
	go run ./bench/e2e $(BENCHARGS)

# k6 scenarios (bench/k6): smoke, load (constant arrival rate), stress (a
# ramp until the thresholds fail) and soak, each over gRPC and Connect JSON
# at once, against a tern serve --dev the script starts on free ports and
# stops after (K6_ADDR=127.0.0.1:8080 uses a running `make run` instead).
# k6 is a program of its own, installed into .bin from outside the module.
# `make bench-k6 K6_SCENARIOS=soak K6_SOAK=4h`; see docs/benchmarks.md.
K6_SCENARIOS ?= smoke load stress soak
K6_RATE      ?= 200
K6_DURATION  ?= 60s
K6_MAX_RATE  ?= 4000
K6_RAMP      ?= 90s
K6_SOAK      ?= 10m
K6_SOAK_RATE ?= 100
K6_ADDR      ?=
bench-k6: deps build $(BIN)/k6 ## run the k6 scenarios in bench/k6 against tern (see docs/benchmarks.md)
	K6=$(BIN)/k6 TERN=$(TERN) TERN_ADDR=$(K6_ADDR) \
	  K6_LOAD_RATE=$(K6_RATE) K6_LOAD_DURATION=$(K6_DURATION) MAX_RATE=$(K6_MAX_RATE) RAMP=$(K6_RAMP) \
	  K6_SOAK_RATE=$(K6_SOAK_RATE) K6_SOAK_DURATION=$(K6_SOAK) \
	  bench/k6/run.sh $(K6_SCENARIOS)

$(BIN)/k6:
	cd /tmp && GOBIN=$(BIN) go install go.k6.io/k6@$(K6_VERSION)

# System packages from Debian: ClickHouse and PostgreSQL servers (tern runs
# private instances of both under data/, not the system services), and Perl
# Net::SMPP and Kannel, third-party SMPP peers for interop tests.
deps:
	@missing=""; \
	{ command -v clickhouse-server || [ -x /usr/sbin/clickhouse-server ]; } >/dev/null 2>&1 || missing="$$missing clickhouse-server"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	perl -MNet::SMPP -e 1 >/dev/null 2>&1 || missing="$$missing libnet-smpp-perl"; \
	{ [ -x /usr/sbin/bearerbox ] && [ -x /usr/sbin/smsbox ]; } || missing="$$missing kannel"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi

tools: $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-connect-go

$(BIN)/buf:
	GOBIN=$(BIN) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(BIN)/protoc-gen-go:
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(BIN)/protoc-gen-connect-go:
	GOBIN=$(BIN) go install connectrpc.com/connect/cmd/protoc-gen-connect-go@$(PROTOC_GEN_CONNECT_VERSION)

generate: tools ## lint the protobuf API and regenerate Go from it
	$(BIN)/buf lint
	$(BIN)/buf generate

checkgenerate: generate ## fail if generated code is out of date
	git diff --exit-code -- proto

# bench/lint: no non-test, non-generated Go function over 100 lines or file
# over 600 (exceptions listed with a reason in bench/lint/exceptions.go),
# none under cmd/tern over 80 (no exception), and every relative link in
# the Markdown files resolves.
lint: ## gofmt, go vet, sizes of functions and files, Markdown links
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt:"; echo "$$out"; exit 1; }
	go vet ./...
	go vet -tags soak ./cmd/tern
	go run ./bench/lint

clean:
	rm -rf bin data
