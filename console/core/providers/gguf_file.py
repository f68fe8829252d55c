"""Check a GGUF file and read its metadata without llama.cpp.

A GGUF path comes from a policy a user may have been sent, so the file is untrusted input: before
llama.cpp (C++, which asserts rather than explains) sees it, this module checks that it exists, is a
regular readable file, starts with the ``GGUF`` magic, has a known version and sane counts, and that
every tensor's data lies inside the file (so a half-downloaded model is caught here). Only the
header is read — key/value metadata and tensor descriptions — never the tensor data, so a check
costs milliseconds even for a 40 GB model.

Format reference: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (little-endian).
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from console.core.providers.gguf_types import FILE_TYPE_NAMES, TENSOR_BLOCK_SIZES

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
# Far above any real model (largest today: a few thousand tensors, a few dozen keys plus vocab arrays),
# low enough that a corrupt count cannot make us loop for minutes or allocate gigabytes.
MAX_TENSORS = 1_000_000
MAX_KV = 100_000
MAX_STRING_BYTES = 64 * 1024 * 1024
MAX_ARRAY_ITEMS = 50_000_000
MAX_DIMS = 8

_SCALARS: dict[int, str] = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


class GGUFError(ValueError):
    """The file cannot be used as a GGUF model; the message says why in a sentence."""


@dataclass(frozen=True)
class GGUFInfo:
    """What the header of a GGUF file says about the model in it."""

    path: Path
    version: int
    size_bytes: int
    tensor_count: int
    architecture: str | None
    name: str | None
    parameter_count: int
    parameter_count_estimated: bool
    file_type: str | None
    context_length: int | None
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)  # scalars and strings; arrays summarised

    @property
    def size_label(self) -> str:
        return f"{self.size_bytes / 1_048_576:.1f} MiB"


class _Reader:
    """Bounded little-endian reads that turn every short read into a GGUFError."""

    def __init__(self, handle: BinaryIO, size: int, path: Path) -> None:
        self.handle, self.size, self.path = handle, size, path

    def take(self, count: int) -> bytes:
        data = self.handle.read(count)
        if len(data) != count:
            raise GGUFError(f"{self.path} is truncated: the GGUF header ends early at byte {self.handle.tell()}")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > MAX_STRING_BYTES or length > self.size - self.handle.tell():
            raise GGUFError(f"{self.path} is corrupt or truncated: a string claims {length} bytes")
        return self.take(length).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.unpack("<I"), self.unpack("<Q")
            if count > MAX_ARRAY_ITEMS:
                raise GGUFError(f"{self.path} is corrupt: an array claims {count} items")
            if item_kind in _SCALARS:
                width = struct.calcsize(_SCALARS[item_kind])
                self.skip(width * count)  # numeric arrays (token scores, types) are never needed here
            else:
                for _ in range(count):
                    self.value(item_kind)
            return f"<array of {count}>"
        raise GGUFError(f"{self.path} is corrupt: unknown metadata value type {kind}")

    def skip(self, count: int) -> None:
        if count > self.size - self.handle.tell():
            raise GGUFError(f"{self.path} is truncated: the GGUF header ends early at byte {self.size}")
        self.handle.seek(count, os.SEEK_CUR)


def _open_checked(path: Path) -> tuple[BinaryIO, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise GGUFError(f"{path} does not exist") from None
    except OSError as exc:
        raise GGUFError(f"{path} cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise GGUFError(f"{path} is not a regular file")
    try:
        return open(path, "rb"), info.st_size  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise GGUFError(f"{path} cannot be read: {exc.strerror}") from None


def read_gguf_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Check ``path`` is a usable GGUF model and return its header metadata; raise GGUFError if not."""
    path = Path(path)
    handle, size = _open_checked(path)
    with handle:
        reader = _Reader(handle, size, path)
        if handle.read(4) != MAGIC:
            raise GGUFError(f"{path} is not a GGUF model (it does not start with the GGUF magic bytes)")
        version = reader.unpack("<I")
        if version not in SUPPORTED_VERSIONS:
            raise GGUFError(f"{path} is GGUF version {version}; Routedesk reads versions 2 and 3")
        tensor_count, kv_count = reader.unpack("<Q"), reader.unpack("<Q")
        if tensor_count > MAX_TENSORS or kv_count > MAX_KV:
            raise GGUFError(f"{path} is corrupt: it claims {tensor_count} tensors and {kv_count} metadata keys")
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = reader.string()
            metadata[key] = reader.value(reader.unpack("<I"))
        parameters, data_end = _read_tensor_infos(reader, tensor_count)
        alignment = metadata.get("general.alignment", 32)
        if not isinstance(alignment, int) or alignment <= 0:
            raise GGUFError(f"{path} is corrupt: general.alignment is {alignment!r}")
        data_start = -(-handle.tell() // alignment) * alignment
    if data_start + data_end > size:
        raise GGUFError(
            f"{path} is truncated: its tensors need {data_start + data_end} bytes but the file has {size}"
            " (an interrupted download?)"
        )
    return _info_from(path, version, size, tensor_count, metadata, parameters)


def _read_tensor_infos(reader: _Reader, tensor_count: int) -> tuple[int, int]:
    """Sum the parameters of all tensors and find where the last tensor's data ends."""
    parameters = data_end = 0
    for _ in range(tensor_count):
        name = reader.string()
        n_dims = reader.unpack("<I")
        if n_dims > MAX_DIMS:
            raise GGUFError(f"{reader.path} is corrupt: tensor {name!r} claims {n_dims} dimensions")
        elements = 1
        for _ in range(n_dims):
            elements *= reader.unpack("<Q")
        tensor_type, offset = reader.unpack("<I"), reader.unpack("<Q")
        block = TENSOR_BLOCK_SIZES.get(tensor_type)
        if block is None:
            raise GGUFError(f"{reader.path} uses tensor type {tensor_type}, which Routedesk does not know")
        block_size, type_size = block
        parameters += elements
        data_end = max(data_end, offset + -(-elements // block_size) * type_size)
    return parameters, data_end


def _info_from(
    path: Path, version: int, size: int, tensor_count: int, metadata: dict[str, Any], tensor_parameters: int
) -> GGUFInfo:
    architecture = metadata.get("general.architecture")
    architecture = architecture if isinstance(architecture, str) else None
    declared = metadata.get("general.parameter_count")
    file_type = metadata.get("general.file_type")
    context = metadata.get(f"{architecture}.context_length") if architecture else None
    name = metadata.get("general.name")
    return GGUFInfo(
        path=path,
        version=version,
        size_bytes=size,
        tensor_count=tensor_count,
        architecture=architecture,
        name=name if isinstance(name, str) else None,
        parameter_count=declared if isinstance(declared, int) else tensor_parameters,
        # Counted from the tensor shapes when the file does not declare it: exact for the weights stored.
        parameter_count_estimated=not isinstance(declared, int),
        file_type=FILE_TYPE_NAMES.get(file_type, f"type {file_type}") if isinstance(file_type, int) else None,
        context_length=context if isinstance(context, int) else None,
        metadata=metadata,
    )
