"""Every document the code, the tests, the deploy files and the docs point to is in the repository:
a newcomer or a verifier can open each one (docs/architecture.md, docs/draw-protocol.md, …), and no
text sends them to a folder outside it."""

from __future__ import annotations

import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED_FOLDERS = ("docs", "services", "shared", "tests", "bench", "deploy", ".ci")
SCANNED_FILES = ("README.md", "Makefile", "pyproject.toml")
# A name ending in .md, with or without a path; "*.md" globs have no name and do not match.
REFERENCE = re.compile(r"[A-Za-z0-9_./:-]*[A-Za-z0-9_-]\.md\b")
OUTSIDE = re.compile(r"\.\./shared\b|(?<![\w-])specs/")


@functools.cache
def texts() -> list[tuple[Path, str]]:
    paths = [ROOT / name for name in SCANNED_FILES]
    for folder in SCANNED_FOLDERS:
        paths += sorted(path for path in (ROOT / folder).rglob("*")
                        if path.is_file() and "__pycache__" not in path.parts)
    found = []
    for path in paths:
        if path == Path(__file__).resolve() or not path.exists():
            continue
        try:
            found.append((path, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue  # spreadsheets, images: nothing to read
    return found


def resolves(reference: str, source: Path) -> bool:
    """A path resolves from the repository's root or from the file that names it; a bare name may
    also be a document in docs/."""
    reference = reference.removeprefix("./")
    places = [ROOT / reference, source.parent / reference]
    if "/" not in reference:
        places.append(ROOT / "docs" / reference)
    return any(place.resolve().is_relative_to(ROOT) and place.is_file() for place in places)


def test_every_document_named_is_in_the_repository() -> None:
    missing = []
    for path, text in texts():
        for found in REFERENCE.finditer(text):
            if "://" in found[0]:
                continue  # a web address
            if not resolves(found[0], path):
                line = text.count("\n", 0, found.start()) + 1
                missing.append(f"{path.relative_to(ROOT)}:{line}: {found[0]}")
    assert not missing, "documents named but not in the repository:\n" + "\n".join(missing)


def test_no_text_points_outside_the_repository() -> None:
    outside = [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, found.start()) + 1}: {found[0]}"
               for path, text in texts() for found in OUTSIDE.finditer(text)]
    assert not outside, "texts that point outside the repository:\n" + "\n".join(outside)


def test_the_scan_reads_the_documents_and_the_code() -> None:
    scanned = {path.relative_to(ROOT).as_posix() for path, _ in texts()}
    assert {"README.md", "docs/draw-protocol.md", "docs/architecture.md", "shared/draw/protocol.py",
            "services/gateway/console/static/verify.js", "deploy/README.md"} <= scanned
