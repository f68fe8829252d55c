"""The .deb layout, built for real with dpkg-deb around a stand-in app folder (the full build is not a test)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.packaging.conftest import load_packaging_module
from tests.support.parts import require_part


def _fake_app(folder: Path) -> Path:
    (folder / "_internal").mkdir(parents=True)
    launcher = folder / "routedesk"
    launcher.write_text("#!/bin/sh\necho routedesk\n", encoding="utf-8")
    launcher.chmod(0o755)
    return folder


def test_staged_tree_has_launcher_desktop_icon_metainfo_and_no_maintainer_scripts(tmp_path: Path) -> None:
    deb = load_packaging_module("linux/debian_package.py")
    staging = deb.stage_deb(_fake_app(tmp_path / "app"), tmp_path / "root", "cpu")
    assert (staging / "opt/routedesk/routedesk").is_file()
    link = staging / "usr/bin/routedesk"
    assert link.is_symlink() and str(link.readlink()) == "/opt/routedesk/routedesk"
    for path in ("usr/share/applications/io.routedesk.Routedesk.desktop",
                 "usr/share/metainfo/io.routedesk.Routedesk.metainfo.xml",
                 "usr/share/icons/hicolor/scalable/apps/io.routedesk.Routedesk.svg",
                 "usr/share/icons/hicolor/256x256/apps/io.routedesk.Routedesk.png",
                 "usr/share/doc/routedesk/copyright"):
        assert (staging / path).is_file(), path
    # No postrm/prerm: removal can only take the package's own files, never a user's data or keys.
    assert sorted(p.name for p in (staging / "DEBIAN").iterdir()) == ["control"]
    assert not any("home" in p.parts or ".local" in p.parts for p in staging.rglob("*"))


def test_control_and_copyright_text() -> None:
    deb = load_packaging_module("linux/debian_package.py")
    control = deb.control_text("1.2.3", 4096, "cuda")
    assert "Package: routedesk\n" in control and "Version: 1.2.3\n" in control
    assert "libxcb-cursor0" in control and "libgomp1" in control and "CUDA build" in control
    copyright_text = deb.copyright_text()
    for expected in ("Qt 6", "LGPL-3.0-only", "linked dynamically", "llama.cpp", "MIT", "SmolLM2", "Apache-2.0",
                     "pyqtgraph", "/opt/routedesk/_internal/resources/licenses/LGPL-3.0.txt"):
        assert expected in copyright_text


def test_dpkg_deb_builds_an_installable_archive(tmp_path: Path) -> None:
    require_part(shutil.which("dpkg-deb") is not None, "dpkg-deb (Debian package dpkg)")
    deb = load_packaging_module("linux/debian_package.py")
    staging = deb.stage_deb(_fake_app(tmp_path / "app"), tmp_path / "root", "cpu")
    archive = deb.build_deb(staging, tmp_path, "cpu")
    assert archive.name.startswith("routedesk_") and archive.name.endswith("_amd64.deb")
    listing = subprocess.run(["dpkg-deb", "-c", str(archive)], capture_output=True, text=True, check=True).stdout
    assert "./usr/bin/routedesk -> /opt/routedesk/routedesk" in listing
    assert "root/root" in listing  # --root-owner-group: no build user's ids leak into the package
    fields = subprocess.run(["dpkg-deb", "-f", str(archive), "Package", "Architecture"], capture_output=True,
                            text=True, check=True).stdout
    assert "Package: routedesk" in fields and "Architecture: amd64" in fields
