"""What this build of Routedesk is: version, variant (cpu | cuda), build date, git commit.

A packaged build carries ``build-info.json``, written by ``packaging/pyinstaller/write_build_info.py``
at freeze time into the bundle (never into the source tree, never committed). A source checkout has
no such file: the version comes from ``console.__version__``, the commit from ``.git`` (read as
files, no subprocess), the variant defaults to ``cpu`` and the build date says it is unreleased.
Whether GPU offload actually works is a runtime fact, asked of llama.cpp by ``gpu_offload_available``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Variant = Literal["cpu", "cuda"]
VARIANTS: tuple[str, ...] = ("cpu", "cuda")
UNRELEASED = "unreleased (source checkout)"


@dataclass(frozen=True)
class BuildInfo:
    """Facts fixed when the app was built.

    Attributes:
        version: the Routedesk version.
        variant: ``cpu`` (portable llama.cpp) or ``cuda`` (llama.cpp built with ``-DGGML_CUDA=on``).
        build_date: ISO date of the build, or ``UNRELEASED`` in a source checkout.
        git_commit: the commit built (short hash), or ``unknown``.
        packaged: True for a frozen app that carries build-info.json.
    """

    version: str
    variant: str
    build_date: str
    git_commit: str
    packaged: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return f"Routedesk {self.version} ({self.variant}, {self.build_date}, commit {self.git_commit})"


def _git_commit(root: Path) -> str:
    """The checked-out commit from ``.git`` files (HEAD, loose ref, packed-refs); ``unknown`` if unreadable."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: ".git" holds "gitdir: PATH"
            git = (root / git.read_text(encoding="utf-8").split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head[:12]
        ref = head.split(":", 1)[1].strip()
        common = git / "commondir"
        base = (git / common.read_text(encoding="utf-8").strip()).resolve() if common.is_file() else git
        for folder in (git, base):
            loose = folder / ref
            if loose.is_file():
                return loose.read_text(encoding="utf-8").strip()[:12]
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0][:12]
    except (OSError, IndexError, UnicodeDecodeError):
        pass
    return "unknown"


def parse_build_info(data: dict[str, Any], *, fallback_version: str) -> BuildInfo:
    """A BuildInfo from build-info.json's mapping; unknown or missing fields get safe values."""
    variant = str(data.get("variant", "cpu"))
    return BuildInfo(
        version=str(data.get("version") or fallback_version),
        variant=variant if variant in VARIANTS else "cpu",
        build_date=str(data.get("build_date") or "unknown"),
        git_commit=str(data.get("git_commit") or "unknown"),
        packaged=True,
    )


def build_info() -> BuildInfo:
    """This build's facts: from the frozen bundle's build-info.json, else source-checkout defaults."""
    from console import __version__
    from console.core.resources import build_info_file, checkout_root

    path = build_info_file()
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict):
            return parse_build_info(data, fallback_version=__version__)
    return BuildInfo(
        version=__version__,
        variant="cpu",
        build_date=UNRELEASED,
        git_commit=_git_commit(checkout_root()),
        packaged=False,
    )


def gpu_offload_available() -> bool | None:
    """Whether this llama.cpp build can offload layers to a GPU (None: llama.cpp is not installed)."""
    try:
        import llama_cpp
    except ImportError:
        return None
    return bool(llama_cpp.llama_supports_gpu_offload())


@dataclass(frozen=True)
class BundledComponent:
    """A third-party part shipped in packaged builds, from ``resources/licenses/components.yaml``."""

    name: str
    license: str
    file: str | None
    url: str
    note: str

    def license_text(self) -> str:
        """The full licence text shipped with Routedesk, or a sentence saying where to find it."""
        if not self.file:
            return f"The {self.license} licence text: {self.url}"
        from console.core.resources import resource_path

        try:
            return resource_path("licenses", self.file).read_text(encoding="utf-8")
        except OSError as error:
            return f"The licence text {self.file} could not be read ({error}); see {self.url}"


def bundled_components() -> list[BundledComponent]:
    """Every component the About dialog and the .deb copyright file list, in the file's order."""
    import yaml

    from console.core.resources import resource_path

    data = yaml.safe_load(resource_path("licenses", "components.yaml").read_text(encoding="utf-8")) or {}
    return [
        BundledComponent(
            name=str(item["name"]),
            license=str(item["license"]),
            file=item.get("file"),
            url=str(item.get("url", "")),
            note=" ".join(str(item.get("note", "")).split()),
        )
        for item in data.get("components", [])
    ]
