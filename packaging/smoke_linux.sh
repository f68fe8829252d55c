#!/usr/bin/env bash
# Smoke-test the built .deb on this machine, as root (no Docker): install it, run the installed
# binary's self-check headless with a fresh HOME, time a cold start, take first-run screenshots,
# remove the package and check the user's data directory survived.
#
#   bash packaging/build_linux.sh && sudo bash packaging/smoke_linux.sh [SHOTS_DIR]
#
# Screenshots go to SHOTS_DIR (default dist/smoke-shots): the offscreen window after its first
# routed request, and, when xvfb-run is installed, the same window drawn through X11 (xcb).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHOTS="${1:-$ROOT/dist/smoke-shots}"
say() { printf 'smoke_linux: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

[[ $EUID -eq 0 ]] || fail "run as root (it installs and removes a package): sudo bash $0"
shopt -s nullglob
debs=("$ROOT"/dist/routedesk_*.deb)
((${#debs[@]} == 1)) || fail "expected one dist/routedesk_*.deb, found ${#debs[@]}: run packaging/build_linux.sh"
DEB="${debs[0]}"
started=$SECONDS
mkdir -p "$SHOTS"

if dpkg -s routedesk >/dev/null 2>&1; then
    say "removing an earlier routedesk install first"
    dpkg -P routedesk >/dev/null
fi
say "installing $(basename "$DEB") ($(du -h "$DEB" | cut -f1)) with apt-get (pulls its Depends from Debian)"
install_started=$SECONDS
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >/tmp/routedesk-smoke-apt.log 2>&1; then
    cat /tmp/routedesk-smoke-apt.log >&2
    fail "apt-get install failed"
fi
install_s=$((SECONDS - install_started))
[[ -x /usr/bin/routedesk && -d /opt/routedesk ]] || fail "the package did not install /usr/bin/routedesk and /opt/routedesk"
for file in /usr/share/applications/io.routedesk.Routedesk.desktop /usr/share/metainfo/io.routedesk.Routedesk.metainfo.xml \
    /usr/share/icons/hicolor/scalable/apps/io.routedesk.Routedesk.svg /usr/share/doc/routedesk/copyright; do
    [[ -f "$file" ]] || fail "missing $file"
done

# A brand-new user: empty HOME, nothing inherited from this shell but PATH and a locale.
USER_HOME="$(mktemp -d /tmp/routedesk-smoke-home.XXXXXX)"
as_new_user() { env -i HOME="$USER_HOME" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; }
if drop_caches; then cache="page cache dropped"; else cache="page cache warm (could not drop it)"; fi
t0=$(date +%s.%N)
as_new_user /usr/bin/routedesk --version >/dev/null || fail "routedesk --version failed"
t1=$(date +%s.%N)
cold_version=$(echo "$t1 - $t0" | bc)

say "self-check of the installed binary (HOME=$USER_HOME, offscreen), cold"
drop_caches || true
t0=$(date +%s.%N)
as_new_user /usr/bin/routedesk self-check --json --screenshot "$SHOTS/first-run-offscreen.png" >"$SHOTS/self-check.json" ||
    { cat "$SHOTS/self-check.json" >&2; fail "the installed self-check failed"; }
t1=$(date +%s.%N)
selfcheck_s=$(echo "$t1 - $t0" | bc)
cold_window=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(s["seconds"] for s in d["steps"] if s["name"]=="window"))' "$SHOTS/self-check.json")
as_new_user /usr/bin/routedesk self-check | tee "$SHOTS/self-check.txt" || fail "the second (warm) self-check failed"

DATA="$USER_HOME/.local/share/routedesk"
[[ -s "$DATA/routedesk-log.sqlite3" ]] || fail "the self-check wrote no log under $DATA"

if command -v xvfb-run >/dev/null; then
    say "the same window through X11 (xvfb-run, QT_QPA_PLATFORM=xcb)"
    as_new_user xvfb-run -a -s "-screen 0 1440x900x24" env QT_QPA_PLATFORM=xcb \
        /usr/bin/routedesk self-check --screenshot "$SHOTS/first-run-x11.png" >/dev/null || fail "self-check under Xvfb failed"
else
    say "xvfb-run not installed: skipping the X11 screenshot (apt-get install xvfb)"
fi

# The user's own things, which removing the package must not touch.
cp /opt/routedesk/_internal/policies/demo.yaml "$DATA/my-policy.yaml"
before="$(cd "$DATA" && sha256sum routedesk-log.sqlite3 my-policy.yaml)"
say "removing the package (dpkg -r, then dpkg -P)"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq routedesk >/dev/null 2>&1 || fail "apt-get remove failed"
dpkg -P routedesk >/dev/null 2>&1 || true
[[ ! -e /usr/bin/routedesk && ! -e /opt/routedesk ]] || fail "files left after removal: $(ls -d /usr/bin/routedesk /opt/routedesk 2>/dev/null)"
after="$(cd "$DATA" && sha256sum routedesk-log.sqlite3 my-policy.yaml)"
[[ "$before" == "$after" ]] || fail "the user's data directory changed when the package was removed"

echo
echo "package:        $(basename "$DEB"), $(du -h "$DEB" | cut -f1) ($(stat -c %s "$DEB") bytes); installs $(dpkg-deb -f "$DEB" Installed-Size) KiB"
echo "install:        ${install_s} s (apt-get, incl. dependencies)"
echo "cold start:     ${cold_version} s to 'routedesk --version'; window open in ${cold_window} s inside the cold self-check ($cache)"
echo "self-check:     ${selfcheck_s} s wall, cold first run (process start, window, model load, routed answer, log, close)"
echo "user data kept: $DATA ($(ls "$DATA" | tr '\n' ' '))"
echo "screenshots:    $(ls "$SHOTS"/*.png | tr '\n' ' ')"
echo "smoke test passed in $((SECONDS - started)) s"
rm -rf "$USER_HOME"
