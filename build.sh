#!/usr/bin/env bash
# OneKvm.Remotes build entry point.
#
#   ./build.sh            publish the Native AOT binary and stage dist/remotes
#   ./build.sh test       install what the tests need (root, Debian), build, package, run every test
#   ./build.sh package    build the .deb (dpkg-deb) and the .rpm (rpmbuild) from the action table
#   ./build.sh demo       drive a throwaway VM on this machine's libvirtd through the staged entries
#   ./build.sh bench      print onekvm's overhead, size and memory beside bare virsh
#   ./build.sh layout     rewrite remotes-layout/ stubs from the action table
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIST="$ROOT/dist"
PUBLISH="$DIST/publish"
REMOTES="$DIST/remotes"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '==> %s\n' "$*" >&2; }

version() {
  sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/Directory.Build.props" | head -n1
}

publish() {
  log "publishing the Native AOT binary"
  rm -rf "$PUBLISH"
  # the AOT compiler's warnings are errors here: a trimming/AOT warning fails the build
  dotnet publish "$ROOT/src/OneKvm.Remotes/OneKvm.Remotes.csproj" -c Release -o "$PUBLISH" \
    -p:TreatWarningsAsErrors=true -p:IlcTreatWarningsAsErrors=true -nologo -clp:NoSummary >&2
}

# The entry every action of the remotes tree is: freestanding (no libc), about 1 KB.
# The C compiler is the one Native AOT links with.
entry() {
  log "compiling the entry program"
  "${CC:-cc}" -Os -ffreestanding -fno-builtin -nostdlib -static -fno-pie -no-pie \
    -fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
    -Wall -Wextra -Werror -Wl,-n -Wl,-z,noexecstack -Wl,--build-id -s \
    -o "$PUBLISH/onekvm-entry" "$ROOT/src/OneKvm.Entry/onekvm-entry.c"
}

stage() {
  log "staging $REMOTES from remotes-layout/"
  # remotes-layout/ must hold exactly the entries the action table generates
  local generated
  generated=$(mktemp -d)
  "$PUBLISH/onekvm" layout "$generated"
  if ! diff -r -q --no-dereference "$generated" "$ROOT/remotes-layout" -x etc >/dev/null; then
    diff -r --no-dereference "$generated" "$ROOT/remotes-layout" -x etc >&2 || true
    rm -rf "$generated"
    echo "remotes-layout/ disagrees with the action table: run ./build.sh layout and commit" >&2
    exit 1
  fi
  rm -rf "$generated"
  rm -rf "$REMOTES"
  mkdir -p "$REMOTES"
  cp -a "$ROOT/remotes-layout/." "$REMOTES/"
  install -m 0755 "$PUBLISH/onekvm" "$REMOTES/vmm/kvm/onekvm"
  # each entry a copy of the entry program, as rsync -L makes it on the hosts
  find "$REMOTES" -type l | while read -r link; do
    install -m 0755 "$PUBLISH/onekvm-entry" "$link.new" && mv -f "$link.new" "$link"
  done
}

build() {
  publish
  entry
  stage
  log "binary: $(stat -c %s "$REMOTES/vmm/kvm/onekvm") bytes; entries: $(find "$REMOTES" -type f | wc -l) files"
}

layout() {
  [ -x "$PUBLISH/onekvm" ] || publish
  find "$ROOT/remotes-layout" \( -type f -o -type l \) ! -path '*/etc/*' -delete
  "$PUBLISH/onekvm" layout "$ROOT/remotes-layout"
  find "$ROOT/remotes-layout" -type d -empty -delete
  log "remotes-layout/ rewritten from the action table"
}

package() {
  [ -x "$REMOTES/vmm/kvm/onekvm" ] || build
  VERSION=$(version) "$ROOT/packaging/build-packages.sh" "$ROOT" "$DIST"
}

setup_test_machine() {
  if [ "$(id -u)" != 0 ]; then
    echo "./build.sh test installs libvirtd and QEMU and runs real guests: run it as root" >&2
    exit 1
  fi
  "$ROOT/tests/setup/hypervisor.sh"
  "$ROOT/tests/guest/build-tiny-guest.sh" "${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}"
}

run_tests() {
  setup_test_machine
  build
  package
  log "unit specs"
  dotnet test "$ROOT/tests/OneKvm.Remotes.Specs/OneKvm.Remotes.Specs.csproj" -c Release --nologo \
    --logger "console;verbosity=normal"
  log "integration specs (real libvirtd, real QEMU)"
  ONEKVM_DIST="$DIST" ONEKVM_GUEST_DIR="${ONEKVM_GUEST_DIR:-/var/cache/onekvm-tests/guest}" \
    dotnet test "$ROOT/tests/OneKvm.Remotes.IntegrationSpecs/OneKvm.Remotes.IntegrationSpecs.csproj" -c Release --nologo \
    --logger "console;verbosity=normal" --blame-hang-timeout 20m --filter "Category!=Soak"
}

case "${1:-build}" in
  build) build ;;
  test) run_tests ;;
  package) package ;;
  demo) [ -x "$REMOTES/vmm/kvm/onekvm" ] || build; "$ROOT/tests/setup/hypervisor.sh" >&2; "$ROOT/tests/demo/demo.sh" "$REMOTES" ;;
  bench) [ -x "$REMOTES/vmm/kvm/onekvm" ] || build; "$ROOT/tests/setup/hypervisor.sh" >&2; python3 "$ROOT/tests/bench/bench.py" "$REMOTES" ;;
  layout) layout ;;
  *) echo "usage: $0 [build|test|package|demo|bench|layout]" >&2; exit 2 ;;
esac
