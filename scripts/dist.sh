#!/usr/bin/env bash
# Release artifacts in $OUT (default dist/): for each of $ARCHES (default
# amd64 arm64) a static mhago (CGO off) with the node agent of the SAME
# architecture built in, as `make build` embeds it; that agent alone
# (mhago-agent_linux_<arch>, for agent_path when the database hosts'
# architecture differs from the manager's); and a .deb made by nfpm with
# the man page, shell completion, the monitor's systemd unit and a cron
# file. SHA256SUMS lists them all.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

GO=${GO:-go}
OUT=${OUT:-dist}
ARCHES=${ARCHES:-amd64 arm64}
NFPM_VERSION=v2.45.2
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || true)}
LDFLAGS="-s -w -X github.com/mhago/mhago/buildinfo.Version=$VERSION -X github.com/mhago/mhago/buildinfo.Commit=$COMMIT"

# A Debian version starts with a digit: v1.2.3 -> 1.2.3, a bare commit ->
# 0.0.0~git<commit>.
debversion() {
	case $1 in
	v[0-9]*) echo "${1#v}" ;;
	[0-9]*) echo "$1" ;;
	*) echo "0.0.0~git$1" | tr -c 'A-Za-z0-9.+~\n' '~' ;;
	esac
}

mkdir -p "$OUT"
embedded=agentctl/embedded/mhago-agent
# The embedded agent is this script's per-arch build; on exit the one
# `make build` left there (this machine's arch) is put back, so no later
# `go build -tags embedagent` picks up another arch's agent.
saved=$(mktemp)
if [ -f "$embedded" ]; then cp -p "$embedded" "$saved"; else rm -f "$saved"; fi
trap 'if [ -f "$saved" ]; then mv "$saved" "$embedded"; else rm -f "$embedded"; fi' EXIT

# The man page is the same for every arch: rendered once by this machine.
$GO run . man | gzip -9n >"$OUT/mhago.1.gz"

for arch in $ARCHES; do
	dir="$OUT/linux_$arch"
	mkdir -p "$dir"
	echo "dist: linux/$arch"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch $GO build -trimpath -ldflags "$LDFLAGS" -o "$embedded" ./nodeagent/cmd/mhago-agent
	cp "$embedded" "$OUT/mhago-agent_linux_$arch"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch $GO build -trimpath -tags embedagent -ldflags "$LDFLAGS" -o "$dir/mhago" .
	cp "$OUT/mhago.1.gz" "$dir/mhago.1.gz"
	# nfpm expands variables in some fields only: fill them all in here.
	sed -e "s#\${ARCH}#$arch#g" -e "s#\${VERSION}#$(debversion "$VERSION")#g" -e "s#\${DIST}#$dir#g" \
		packaging/nfpm.yaml >"$dir/nfpm.yaml"
	$GO run "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION" package \
		--config "$dir/nfpm.yaml" --packager deb --target "$OUT/"
done
(cd "$OUT" && sha256sum -- mhago-agent_linux_* linux_*/mhago ./*.deb >SHA256SUMS)
ls -l "$OUT" "$OUT"/linux_*
