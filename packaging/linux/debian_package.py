"""Assemble the Linux installers from the frozen app folder: a .deb (dpkg-deb, no Docker) and a tarball.

    python packaging/linux/debian_package.py dist/pyinstaller/routedesk --out dist [--variant cpu]

The .deb puts the app folder at /opt/routedesk, a /usr/bin/routedesk symlink, the desktop entry,
hicolor icons, AppStream metainfo and /usr/share/doc/routedesk/copyright (from
resources/licenses/components.yaml). It has no maintainer scripts: dpkg's own triggers refresh the
desktop and icon caches, and nothing it installs or removes lives in a user's home, so ``dpkg -r``
and ``dpkg -P`` leave every user's policies, log (the data directory) and keys (the keyring) alone.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
APP_ID = "io.routedesk.Routedesk"
PACKAGE = "routedesk"
# Shared libraries the frozen app expects from the system (PyInstaller leaves out libc, libGL and
# the like by design; the xcb helpers are not in the build machine's bundle at all).
DEPENDS = [
    "libc6 (>= 2.34)", "libgcc-s1", "libstdc++6", "libgomp1", "libglib2.0-0", "libfontconfig1",
    "libfreetype6", "libx11-6", "libx11-xcb1", "libxcb1", "libxcb-icccm4", "libxcb-keysyms1",
    "libxcb-cursor0", "libxkbcommon0", "libxkbcommon-x11-0", "libegl1", "libgl1", "libdbus-1-3",
]
RECOMMENDS = ["gnome-keyring | kwalletmanager"]


def project_version() -> str:
    text = (ROOT / "console" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not match:
        raise SystemExit("console/__init__.py has no __version__")
    return match.group(1)


def copyright_text() -> str:
    """The package's copyright file (plain text, not DEP-5): every bundled component, its licence, where the text is."""
    import yaml

    components = yaml.safe_load((RESOURCES / "licenses" / "components.yaml").read_text(encoding="utf-8"))
    lines = [
        "Routedesk, packaged as a self-contained app folder under /opt/routedesk.",
        "Licence texts: /opt/routedesk/_internal/resources/licenses/ and, for each bundled Python",
        "package, its own files under /opt/routedesk/_internal/licenses/python-packages/.",
        "",
    ]
    for part in components["components"]:
        lines += [f"Component: {part['name']}", f"License: {part['license']}"]
        note = " ".join(str(part.get("note", "")).split())
        where = f"/opt/routedesk/_internal/resources/licenses/{part['file']}" if part.get("file") else part["url"]
        lines.append(f" Full text: {where}")
        if note:
            lines.append(f" {note}")
        lines.append("")
    return "\n".join(lines)


def control_text(version: str, installed_kib: int, variant: str) -> str:
    flavour = "CUDA build: offloads to NVIDIA GPUs" if variant == "cuda" else "portable CPU build"
    return "\n".join([
        f"Package: {PACKAGE}",
        f"Version: {version}",
        "Section: devel",
        "Priority: optional",
        "Architecture: amd64",
        "Maintainer: Routedesk developers <packaging@routedesk.invalid>",
        f"Installed-Size: {installed_kib}",
        f"Depends: {', '.join(DEPENDS)}",
        f"Recommends: {', '.join(RECOMMENDS)}",
        "Homepage: https://github.com/routedesk/routedesk",
        f"Description: desktop console for multi-model LLM routing ({flavour})",
        " Routedesk routes LLM requests by policy (cost ceilings, latency, data residency,",
        " fallbacks) across hosted APIs and local GGUF models run through llama.cpp, and",
        " charts spend, failures and latency from its log. A small demo model is included:",
        " it works with no key and no network.",
        "",
    ])


def _tree_size_kib(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) // 1024 + 1


def stage_deb(app: Path, staging: Path, variant: str) -> Path:
    """Lay out the package tree under ``staging``; returns it."""
    if staging.exists():
        shutil.rmtree(staging)
    opt = staging / "opt" / PACKAGE
    shutil.copytree(app, opt, symlinks=True)
    (staging / "usr" / "bin").mkdir(parents=True)
    os.symlink(f"/opt/{PACKAGE}/{PACKAGE}", staging / "usr" / "bin" / PACKAGE)
    share = staging / "usr" / "share"
    for target, source in [
        (share / "applications" / f"{APP_ID}.desktop", RESOURCES / f"{APP_ID}.desktop"),
        (share / "metainfo" / f"{APP_ID}.metainfo.xml", RESOURCES / f"{APP_ID}.metainfo.xml"),
        (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg", RESOURCES / "routedesk.svg"),
        (share / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png", RESOURCES / "routedesk.png"),
    ]:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_text(), encoding="utf-8")
    debian = staging / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(control_text(project_version(), _tree_size_kib(staging), variant),
                                    encoding="utf-8")
    for path in staging.rglob("*"):  # dpkg wants 0755 folders; files keep their modes, readable by all
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
        elif path.is_file() and not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o444)
    return staging


def build_deb(staging: Path, out: Path, variant: str) -> Path:
    suffix = "" if variant == "cpu" else f"+{variant}"
    target = out / f"{PACKAGE}_{project_version()}{suffix}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "-z6", "--build", str(staging), str(target)],
                   check=True, stdout=subprocess.DEVNULL)
    return target


def build_tarball(app: Path, out: Path, variant: str) -> Path:
    """routedesk-VERSION-linux-x86_64-VARIANT.tar.gz: the app folder plus the desktop files to copy by hand."""
    name = f"{PACKAGE}-{project_version()}-linux-x86_64-{variant}"
    target = out / f"{name}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(app, arcname=name)
        for extra in (f"{APP_ID}.desktop", f"{APP_ID}.metainfo.xml", "routedesk.svg", "routedesk.png"):
            tar.add(RESOURCES / extra, arcname=f"{name}/share/{extra}")
        tar.add(Path(__file__).with_name("TARBALL-README.txt"), arcname=f"{name}/README.txt")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the .deb and tarball from a frozen app folder")
    parser.add_argument("app", type=Path, help="the PyInstaller app folder (holds the routedesk launcher)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--variant", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--no-tarball", action="store_true")
    args = parser.parse_args(argv)
    if not (args.app / PACKAGE).is_file():
        print(f"error: {args.app} holds no '{PACKAGE}' launcher: run PyInstaller first", file=sys.stderr)
        return 2
    if shutil.which("dpkg-deb") is None:
        print("error: dpkg-deb is missing (Debian package 'dpkg')", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    staging = stage_deb(args.app, ROOT / "build" / "deb-root", args.variant)
    print(build_deb(staging, args.out, args.variant))
    if not args.no_tarball:
        print(build_tarball(args.app, args.out, args.variant))
    return 0


if __name__ == "__main__":
    sys.exit(main())
