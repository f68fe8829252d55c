"""The desktop entry, AppStream metainfo and licence list that the installers ship."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET

from tests.packaging.conftest import ROOT
from tests.support.parts import require_part

APP_ID = "io.routedesk.Routedesk"
RESOURCES = ROOT / "resources"


def test_desktop_entry_has_the_required_keys() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # desktop keys are case-sensitive
    parser.read(RESOURCES / f"{APP_ID}.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Routedesk"
    assert entry["Exec"].split()[0] == "routedesk"
    assert entry["Icon"] == APP_ID
    assert entry["Categories"].endswith(";")
    assert entry["Terminal"] == "false"


def test_metainfo_names_the_desktop_entry_and_the_binary() -> None:
    root = ET.parse(RESOURCES / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.find("provides/binary").text == "routedesk"
    import console

    assert root.find("releases/release").get("version") == console.__version__


def test_appstreamcli_validates_the_metainfo() -> None:
    tool = shutil.which("appstreamcli")
    require_part(tool is not None, "appstreamcli (Debian package appstream)")
    done = subprocess.run([tool, "validate", "--no-net", str(RESOURCES / f"{APP_ID}.metainfo.xml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_listed_licence_text_ships(tmp_path) -> None:
    from console.build_info import bundled_components

    components = bundled_components()
    names = " ".join(c.name for c in components)
    for expected in ("Qt", "PySide6", "llama.cpp", "SmolLM2", "pyqtgraph"):
        assert expected in names
    for component in components:
        if component.file:
            assert (RESOURCES / "licenses" / component.file).is_file(), component.file
    qt = next(c for c in components if c.name.startswith("Qt"))
    assert qt.license == "LGPL-3.0-only" and "dynamically" in qt.note
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in qt.license_text()


def test_desktop_file_validate_accepts_the_entry() -> None:
    tool = shutil.which("desktop-file-validate")
    require_part(tool is not None, "desktop-file-validate (Debian package desktop-file-utils)")
    done = subprocess.run([tool, str(RESOURCES / f"{APP_ID}.desktop")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
