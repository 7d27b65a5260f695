"""SVC2004 Task 2 signatures: read a folder or an uploaded zip of U{u}S{s}.TXT files, with messages for bad files.

Each file is one signature: line 1 holds the number of points N, then N rows of seven numbers
X Y T BUTTON AZIMUTH ALTITUDE PRESSURE (about 100 Hz). S1–S20 are genuine signatures of user u,
S21–S40 skilled forgeries of user u's signature written by others. Data: Yeung et al., "SVC2004: First
International Signature Verification Competition", ICBA 2004 (never committed to this repository).
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnviz.io.data_directory import data_directory

COLUMNS: tuple[str, ...] = ("X", "Y", "T", "BUTTON", "AZIMUTH", "ALTITUDE", "PRESSURE")
X, Y, T, BUTTON, AZIMUTH, ALTITUDE, PRESSURE = range(7)
GENUINE_SAMPLES = range(1, 21)  # S1–S20: the user's own signatures
SKILLED_SAMPLES = range(21, 41)  # S21–S40: skilled forgeries of the user's signature
MIN_POINTS = 2  # one point has no velocity, no angle, no curvature
MAX_POINTS = 20_000  # 200 s at 100 Hz; the real files hold 80..713
MAX_FILE_BYTES = 2_000_000  # about 40 bytes a row at MAX_POINTS rows
MAX_ZIP_BYTES = 64_000_000  # all files of an uploaded zip together, uncompressed
MAX_ZIP_FILES = 5_000
FILE_NAME = re.compile(r"^U(\d{1,4})S(\d{1,3})\.TXT$", re.IGNORECASE)
DATA_ENV = "RNNVIZ_SIGNATURES"
ROOT = Path(__file__).resolve().parents[2]


class SignatureFileError(ValueError):
    """A signature file that cannot be read; the message names the file and, where it helps, the line."""


@dataclass(frozen=True)
class Signature:
    """One signature: whose it claims to be, which sample, and its points (N, 7) in file column order."""

    user: int
    sample: int
    points: np.ndarray  # (N, 7) float64: X Y T BUTTON AZIMUTH ALTITUDE PRESSURE
    source: str = ""

    @property
    def genuine(self) -> bool:
        """True for S1–S20 (the user's own), False for S21–S40 (skilled forgeries)."""
        return self.sample in GENUINE_SAMPLES

    @property
    def name(self) -> str:
        """The SVC2004 file stem, e.g. "U3S21"."""
        return f"U{self.user}S{self.sample}"


@dataclass
class Dataset:
    """Signatures by (user, sample), and the problems met while reading (one sentence each)."""

    signatures: dict[tuple[int, int], Signature] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def users(self) -> list[int]:
        """The users that have at least one signature, in order."""
        return sorted({user for user, _sample in self.signatures})

    def samples(self, user: int) -> list[int]:
        """The sample numbers present for `user`, in order."""
        return sorted(sample for owner, sample in self.signatures if owner == user)

    def get(self, user: int, sample: int) -> Signature:
        """The signature U{user}S{sample}; KeyError naming it if it is missing."""
        try:
            return self.signatures[(user, sample)]
        except KeyError:
            raise KeyError(f"no signature U{user}S{sample} in this data set") from None

    def add(self, signature: Signature) -> None:
        """Add a signature; a second file for the same user and sample is a problem, the first one stays."""
        key = (signature.user, signature.sample)
        if key in self.signatures:
            self.problems.append(f"{signature.source}: a second file for U{key[0]}S{key[1]}; kept {self.signatures[key].source}")
            return
        self.signatures[key] = signature


def parse_name(name: str) -> tuple[int, int]:
    """(user, sample) from a file name like "U12S3.TXT"; SignatureFileError if it is not one."""
    match = FILE_NAME.match(Path(name).name)
    if not match:
        raise SignatureFileError(f"{name}: not a signature file (names look like U1S1.TXT: user 1, sample 1)")
    user, sample = int(match.group(1)), int(match.group(2))
    if user < 1 or sample not in range(1, 41):
        raise SignatureFileError(f"{name}: user must be 1 or more and sample 1..40, got user {user}, sample {sample}")
    return user, sample


def _count_line(lines: list[str], source: str) -> int:
    """The declared number of points on line 1, checked against the limits."""
    if not lines or not lines[0].strip():
        raise SignatureFileError(f"{source} line 1: empty; it must hold the number of points")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise SignatureFileError(f"{source} line 1: {lines[0].strip()[:40]!r} is not a whole number of points") from None
    if count < MIN_POINTS:
        raise SignatureFileError(f"{source} line 1: {count} point(s); a signature needs at least {MIN_POINTS}")
    if count > MAX_POINTS:
        raise SignatureFileError(f"{source} line 1: {count:,} points; at most {MAX_POINTS:,} are accepted")
    return count


def _row(line: str, number: int, source: str) -> list[float]:
    """The seven numbers of one row (file line `number`), or a message naming the line and column."""
    fields = line.split()
    if len(fields) != len(COLUMNS):
        raise SignatureFileError(f"{source} line {number}: {len(fields)} values, expected 7 ({' '.join(COLUMNS)})")
    values = []
    for column, text in zip(COLUMNS, fields):
        try:
            value = float(text)
        except ValueError:
            raise SignatureFileError(f"{source} line {number}: {column} is {text[:20]!r}, not a number") from None
        if not math.isfinite(value):
            raise SignatureFileError(f"{source} line {number}: {column} is {text[:20]!r}, not a finite number")
        values.append(value)
    return values


def parse_signature(text: str, source: str = "signature") -> np.ndarray:
    """The points (N, 7) of one file's text; SignatureFileError naming `source` and the line otherwise."""
    lines = text.splitlines()
    count = _count_line(lines, source)
    body = [(number, line) for number, line in enumerate(lines[1:], start=2) if line.strip()]
    if len(body) != count:
        raise SignatureFileError(f"{source} line 1: says {count} points but {len(body)} rows follow")
    points = _fast_rows(lines[1:])
    if points is not None and points.shape == (count, len(COLUMNS)) and np.isfinite(points).all():
        return points
    rows = [_row(line, number, source) for number, line in body]  # slow, but names the bad line
    return np.asarray(rows, dtype=np.float64)  # (N, 7)


def _fast_rows(lines: list[str]) -> np.ndarray | None:
    """All rows at C speed with numpy, or None when anything is odd (the slow path then says what)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.loadtxt(lines, dtype=np.float64, ndmin=2)
    except ValueError:
        return None


def _decode(raw: bytes, source: str) -> str:
    """File bytes as text (ASCII in SVC2004), with a message for binary or oversized content."""
    if len(raw) > MAX_FILE_BYTES:
        raise SignatureFileError(f"{source}: {len(raw):,} bytes; a signature file is at most {MAX_FILE_BYTES:,}")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as error:
        raise SignatureFileError(f"{source}: not a text file (byte {error.start} is not ASCII)") from None


def read_bytes(raw: bytes, name: str) -> Signature:
    """One signature from a file's bytes and its name (U{u}S{s}.TXT)."""
    user, sample = parse_name(name)
    return Signature(user, sample, parse_signature(_decode(raw, name), name), source=name)


def read_file(path: str | os.PathLike) -> Signature:
    """One signature file from disk."""
    path = Path(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SignatureFileError(f"{path.name}: {path.stat().st_size:,} bytes; a signature file is at most {MAX_FILE_BYTES:,}")
    return read_bytes(path.read_bytes(), path.name)


def read_directory(folder: str | os.PathLike) -> Dataset:
    """Every U*S*.TXT under `folder` (any depth); bad files become problems, the others are kept."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no signature folder at {folder}")
    dataset = Dataset()
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.lower() == "readme.txt":
            continue
        try:
            dataset.add(read_file(path))
        except SignatureFileError as error:
            dataset.problems.append(str(error))
    return dataset


def read_zip(data: bytes | str | os.PathLike, name: str = "upload.zip") -> Dataset:
    """Every U*S*.TXT in a zip (an upload's bytes or a path); other members are named and skipped."""
    dataset = Dataset()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, OSError) as error:
        dataset.problems.append(f"{name}: not a readable zip file ({error})")
        return dataset
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_FILES:
            dataset.problems.append(f"{name}: {len(members):,} files; at most {MAX_ZIP_FILES:,} are read")
            return dataset
        total = sum(info.file_size for info in members)
        if total > MAX_ZIP_BYTES:
            dataset.problems.append(f"{name}: {total:,} bytes unpacked; at most {MAX_ZIP_BYTES:,} are read")
            return dataset
        for info in members:
            _read_member(archive, info, dataset)
    if not dataset.signatures:
        dataset.problems.append(f"{name}: no signature file (U1S1.TXT ... U40S40.TXT) inside")
    return dataset


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dataset: Dataset) -> None:
    """Add one zip member to `dataset`, or a problem naming it."""
    base = Path(info.filename).name
    if base.lower() == "readme.txt" or base.startswith("._") or "__MACOSX" in info.filename:
        return
    try:
        if info.file_size > MAX_FILE_BYTES:
            raise SignatureFileError(f"{info.filename}: {info.file_size:,} bytes; a signature file is at most {MAX_FILE_BYTES:,}")
        parse_name(info.filename)
        dataset.add(read_bytes(archive.read(info), info.filename))
    except SignatureFileError as error:
        dataset.problems.append(str(error))
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
        dataset.problems.append(f"{info.filename}: cannot be unpacked ({error})")


def default_folder() -> Path | None:
    """$RNNVIZ_SIGNATURES, else signatures/svc2004 in $RNNVIZ_DATA, else shared/data/signatures/svc2004 nearby."""
    candidates = [Path(os.environ[DATA_ENV])] if os.environ.get(DATA_ENV) else []
    root = data_directory()
    if root is not None:
        candidates.append(root / "signatures" / "svc2004")
    candidates += [base / "shared" / "data" / "signatures" / "svc2004" for base in (ROOT, ROOT.parent)]
    return next((path for path in candidates if path.is_dir()), None)


def notes(signature: Signature) -> list[str]:
    """Sentences about a readable but odd signature (a pen that did not move), naming its file and lines."""
    points = signature.points
    if np.ptp(points[:, X]) == 0 and np.ptp(points[:, Y]) == 0:
        return [
            f"{signature.source or signature.name} lines 2–{len(points) + 1}: all {len(points)} points are at the same "
            "x and y (the pen did not move): speed, angles and curvature are 0, so its time functions are flat"
        ]
    return []


def load_svc2004(folder: str | os.PathLike | None = None) -> Dataset:
    """The SVC2004 Task 2 public set (40 users × 40 signatures); FileNotFoundError saying where it was looked for."""
    found = Path(folder) if folder is not None else default_folder()
    if found is None:
        raise FileNotFoundError(
            f"SVC2004 Task 2 not found: set ${DATA_ENV} to its folder, or put it in "
            "../shared/data/signatures/svc2004 beside the repository"
        )
    return read_directory(found)
