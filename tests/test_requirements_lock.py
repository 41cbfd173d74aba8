"""requirements.lock must match pyproject.toml: `make setup` and CI install only from the lock,
so a dependency added to pyproject.toml but not locked would be missing in CI, and one removed
but still locked would keep being tested. `make lock` regenerates it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("dev", "s3"):  # the extras the Makefile and CI install
        wanted += project["optional-dependencies"][extra]
    return [Requirement(line) for line in wanted]


def _locked() -> tuple[dict[str, list[Version]], dict[str, list[str]], set[str]]:
    versions: dict[str, list[Version]] = {}
    hashes: dict[str, list[str]] = {}
    direct: set[str] = set()
    current = ""
    for line in LOCK.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            versions.setdefault(current, []).append(Version(match.group(2)))
            hashes.setdefault(current, [])
        elif "--hash=sha256:" in line:
            hashes[current].append(line.split("--hash=sha256:")[1].strip(" \\"))
        elif "cikk (pyproject.toml)" in line:
            direct.add(current)
    return versions, hashes, direct


def test_every_dependency_is_locked_within_its_range() -> None:
    versions, _hashes, _direct = _locked()
    for requirement in _direct_requirements():
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{name} is in pyproject.toml but not locked: run make lock"
        for version in versions[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{name}=={version} is outside pyproject.toml's {requirement}: run make lock"
            )


def test_nothing_locked_that_pyproject_no_longer_asks_for() -> None:
    _versions, _hashes, direct = _locked()
    wanted = {canonicalize_name(r.name) for r in _direct_requirements()}
    assert direct - wanted == set(), "locked as direct dependencies but gone: run make lock"


def test_every_pin_has_hashes_and_pip_and_setuptools_are_pinned() -> None:
    versions, hashes, _direct = _locked()
    for name, found in hashes.items():
        assert found, f"{name} has no --hash in the lock"
        assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in found), name
    # The build backend and the installer come from the lock too (no unpinned download).
    assert "setuptools" in versions and "pip" in versions


def test_the_makefile_installs_from_the_lock_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes" in makefile and "-r $(LOCK)" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert re.search(r"^\$\(INSTALLED\): \$\(LOCK\)", makefile, re.MULTILINE)
    assert re.search(r"^lock:", makefile, re.MULTILINE)
