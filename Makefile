# mhago: `make demo` and `make test` are the two set-up commands.
export PATH := /usr/local/go/bin:$(PATH)
GO      ?= go
BIN     := bin/mhago
DEMO    ?= /tmp/mhago-demo
FUZZTIME ?= 30s

.PHONY: all build dist deps test install-test unit demo demo-down chaos fuzz bench lint clean

all: build

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
LDFLAGS := -X github.com/mhago/mhago/buildinfo.Version=$(VERSION) -X github.com/mhago/mhago/buildinfo.Commit=$(COMMIT)

# mhago with the node agent (static, CGO off) embedded: one binary to copy.
build:
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' -o agentctl/embedded/mhago-agent ./nodeagent/cmd/mhago-agent
	$(GO) build -tags embedagent -ldflags '$(LDFLAGS)' -o $(BIN) .

# Release artifacts in dist/ (scripts/dist.sh): static mhago for linux/amd64
# and linux/arm64, each embedding the agent of its own architecture, the
# agents alone, and .deb packages (nfpm) with man page, completion, systemd
# unit and cron file.
dist:
	VERSION=$(VERSION) COMMIT=$(COMMIT) scripts/dist.sh

deps:
	@scripts/install-deps.sh

# Unit and integration tests. Integration tests start real mariadbd, sshd and
# redis-server processes on 127.0.0.x; with CI=true a skipped one fails.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 14m ./...

# mhago as `go install` gives it, without `make build`: installed into an
# empty GOBIN, it fails a killed master over on a test cluster
# (TestInstalledBinaryFailsOver; make test covers a plain `go build`).
install-test: deps
	@gobin=$$(mktemp -d) && trap 'rm -rf "$$gobin"' EXIT && \
	echo "GOBIN=$$gobin $(GO) install ./..." && GOBIN=$$gobin $(GO) install ./... && \
	MHAGO_BIN=$$gobin/mhago $(GO) test -count=1 -timeout 5m -run '^TestInstalledBinaryFailsOver$$' .

unit:
	$(GO) test -count=1 -short ./...

# Bring up a 4-host testenv and run the main job against it.
demo: deps build
	scripts/demo.sh $(DEMO)

demo-down:
	$(GO) run ./testenv down --dir $(DEMO)

# Seeded failover scenarios on real clusters (see chaos/): N of them from
# SEED on (SEED alone replays one; neither: 10 from a seed the clock picks).
SEED ?=
N    ?=
chaos: deps
	$(GO) run ./chaos/cmd/mhago-chaos $(if $(SEED),-seed $(SEED)) $(if $(N),-n $(N))

fuzz:
	scripts/fuzz.sh $(FUZZTIME)

# mhago against MHA 0.58 on fresh test clusters (bench/cmd/mhago-bench:
# failovers, a planned switchover, then the long-running monitors with the
# master's mysqld killed or stopped), then the Go micro-benchmarks
# (binlog engine, SSH copy, ...).
RUNS      ?= 3
BENCH_OUT ?= /tmp/mhago-bench
bench: build
	BENCH=1 scripts/install-deps.sh
	$(GO) run ./bench/cmd/mhago-bench -runs $(RUNS) -out $(BENCH_OUT) -mhago $(BIN)
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)"
	$(GO) vet ./...

clean:
	rm -rf bin dist
