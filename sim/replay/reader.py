"""Read a historian export into one raw series per plant tag (no cleaning yet).

Layouts (the tag map's ``layout``):

- ``wide``: one table, a timestamp column and one column per tag; tags sampled at different
  rates leave cells empty, which are "no sample", not defects.
- ``long``: one row per sample, columns ``timestamp, tag, value`` (names in ``long_columns``),
  optionally a quality column.
- ``folder``: a directory with one file per tag, named after the tag (``主蒸汽流量.csv``), each
  with a timestamp and a value column and optionally a ``quality`` column.

Quality flags (wide: the column ``<tag><quality_suffix>``; long: ``long_columns.quality``) are
good when their text is one of the map's ``good_quality`` codes or empty.

Files are chosen by extension: CSV (UTF-8, with or without BOM), gzip-compressed CSV
(``.csv.gz``), Parquet (``.parquet``/``.pq``) or Excel (``.xlsx``, first sheet; needs
``openpyxl``). The ``folder`` layout also takes a ``.zip`` archive of per-tag files (each member
named after its tag, any of the file types above except nested archives). Timestamps without a
zone are local time in the tag map's zone; ambiguous or non-existent local times (daylight-saving
changes) become bad timestamps, reported, never guessed. Times are kept as int64 ns since the
Unix epoch, UTC.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .quality import LogError
from .tagmap import TagMap

#: Table file types by (lower-case) name ending.
_SUFFIXES = (".csv.gz", ".csv", ".parquet", ".pq", ".xlsx")


@dataclass
class RawTag:
    """One tag as read: times [ns UTC, NaT as INT64 min], numeric values (NaN if unparsable),
    1-based source rows, good-quality mask, and which values were present but not numbers."""

    times_ns: np.ndarray
    values: np.ndarray
    rows: np.ndarray
    good: np.ndarray
    unparsable: np.ndarray


def file_type(name: str | Path) -> str | None:
    """The table type of a file name (one of :data:`_SUFFIXES`), or None."""
    low = str(name).lower()
    return next((s for s in _SUFFIXES if low.endswith(s)), None)


def tag_of(name: str | Path) -> str:
    """The tag a per-tag file is named after (its name without the table suffix)."""
    base = PurePosixPath(str(name)).name
    return base[:len(base) - len(file_type(base) or PurePosixPath(base).suffix)]


def _read_table(path: Path, source=None) -> pd.DataFrame:
    """One table from ``path`` (or from the open binary ``source``, named ``path``); LogError naming
    the file when it is not one (a binary or non-UTF-8 CSV, a damaged Parquet or gzip file, an empty
    file)."""
    kind = file_type(path)
    src = path if source is None else source
    if kind is None:
        raise LogError(f"{path}: unsupported file type {PurePosixPath(str(path)).suffix!r}: expected one of "
                       f"{list(_SUFFIXES)} (or .zip of per-tag files for the folder layout)")
    if source is None and not Path(path).is_file():
        raise LogError(f"log {path} is not a regular file: expected one of {list(_SUFFIXES)}")
    if kind in (".parquet", ".pq"):
        try:
            return pd.read_parquet(src)
        except (OSError, ValueError) as err:  # pyarrow: ArrowInvalid (a ValueError) for a file that is not Parquet
            raise LogError(f"{path} is not a readable Parquet file ({err}): expected a Parquet table") from None
    if kind in (".csv", ".csv.gz"):
        if kind == ".csv" and source is None:
            with open(path, "rb") as fh:
                head = fh.read(1 << 16)
            nul = head.find(b"\0")
            if nul >= 0:
                raise LogError(f"{path} is a binary file (NUL byte at offset {nul}): expected UTF-8 CSV text")
        try:
            return pd.read_csv(src, encoding="utf-8-sig", low_memory=False,
                               compression="gzip" if kind == ".csv.gz" else None)
        except UnicodeDecodeError as err:
            raise LogError(f"{path} is not UTF-8 text ({err.reason} at byte {err.start}): expected UTF-8 CSV text") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError, EOFError) as err:
            raise LogError(f"{path} is not a readable CSV table ({err}): expected a header row and one row per sample") from None
    try:
        import openpyxl  # noqa: F401  (pandas' engine for .xlsx)
    except ImportError:
        raise LogError(f"{path}: reading .xlsx needs openpyxl: pip install openpyxl") from None
    try:
        return pd.read_excel(src, sheet_name=0, engine="openpyxl")
    except (OSError, ValueError, KeyError) as err:  # a damaged workbook
        raise LogError(f"{path} is not a readable .xlsx workbook ({err}): expected an Excel table") from None


def to_utc_ns(stamps: pd.Series | np.ndarray, zone: str) -> np.ndarray:
    """Timestamps (text or datetime, with or without zone) -> int64 ns UTC; unparsable -> NaT.

    Text is parsed once per distinct value (a long table repeats each time for every tag).
    """
    s = pd.Series(stamps)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        codes, uniques = pd.factorize(s)
        parsed = _localise(pd.to_datetime(pd.Series(uniques), errors="coerce", format="mixed", utc=False), zone)
        ns = parsed.to_numpy("datetime64[ns]").astype(np.int64) if len(parsed) else np.array([], np.int64)
        out = np.full(len(s), np.iinfo(np.int64).min, dtype=np.int64)
        ok = codes >= 0
        out[ok] = ns[codes[ok]]
        return out
    return _localise(pd.to_datetime(s, errors="coerce"), zone).to_numpy("datetime64[ns]").astype(np.int64)


def _localise(t: pd.Series, zone: str) -> pd.Series:
    if t.dtype == object:  # mixed offsets in one column: convert each to UTC
        t = pd.to_datetime(t, utc=True, errors="coerce")
    if getattr(t.dt, "tz", None) is None:
        t = t.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    return t.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")


def _numeric(raw: pd.Series, states: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of a raw column (text codes through ``states`` first) and the unparsable mask."""
    if states:
        text = raw.astype(str).str.strip()
        raw = raw.where(~text.isin(list(states)), text.map(states))
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    unparsable = np.isnan(values) & raw.notna().to_numpy()
    return values, unparsable


def _good(quality: pd.Series | None, good_codes: tuple[str, ...], n: int) -> np.ndarray:
    if quality is None:
        return np.ones(n, dtype=bool)
    q = quality.astype(str).str.strip()
    q = q.str.replace(r"\.0$", "", regex=True)  # 192.0 read from a float column
    return (q.isin(good_codes) | quality.isna()).to_numpy()


def _series(times_ns, raw: pd.Series, quality, rows, good_codes, states=None) -> RawTag:
    present = raw.notna().to_numpy()
    values, unparsable = _numeric(raw, states)
    good = _good(quality, good_codes, len(raw))
    return RawTag(times_ns[present], values[present], rows[present], good[present], unparsable[present])


def read_export(path: str | Path, tagmap: TagMap) -> dict[str, RawTag]:
    """Every tag of the map found in the export at ``path`` (absent tags are simply not returned)."""
    path = Path(path)
    if not path.exists():
        raise LogError(f"log {path} does not exist")
    if tagmap.layout == "folder":
        return _read_folder(path, tagmap)
    if path.is_dir() or path.suffix.lower() == ".zip":
        raise LogError(f"log {path} is a folder or archive but the tag map's layout is {tagmap.layout!r}: "
                       "expected a file (or layout: folder)")
    df = _read_table(path)
    return _read_long(df, tagmap, path) if tagmap.layout == "long" else _read_wide(df, tagmap, path)


def _need(df: pd.DataFrame, column: str, path: Path) -> None:
    if column not in df.columns:
        raise LogError(f"{path}: no column {column!r}: expected it (tag map); columns are {list(df.columns)[:12]}")


def _read_wide(df: pd.DataFrame, tagmap: TagMap, path: Path) -> dict[str, RawTag]:
    _need(df, tagmap.timestamp_column, path)
    times = to_utc_ns(df[tagmap.timestamp_column], tagmap.timezone)
    rows = np.arange(1, len(df) + 1)
    out = {}
    for tag in tagmap.tags:
        if tag in df.columns:
            q = df[tag + tagmap.quality_suffix] if tagmap.quality_suffix and tag + tagmap.quality_suffix in df else None
            out[tag] = _series(times, df[tag], q, rows, tagmap.good_quality, tagmap.tags[tag].states)
    return out


def _read_long(df: pd.DataFrame, tagmap: TagMap, path: Path) -> dict[str, RawTag]:
    c = tagmap.long_columns
    for col in (c.timestamp, c.tag, c.value) + ((c.quality,) if c.quality else ()):
        _need(df, col, path)
    times = to_utc_ns(df[c.timestamp], tagmap.timezone)
    rows = np.arange(1, len(df) + 1)
    tags = df[c.tag].astype(str).str.strip()
    out = {}
    for tag, idx in tags.groupby(tags, sort=False).indices.items():
        if tag in tagmap.tags:
            sub = df.iloc[idx]
            out[tag] = _series(times[idx], sub[c.value].reset_index(drop=True),
                               sub[c.quality].reset_index(drop=True) if c.quality else None, rows[idx],
                               tagmap.good_quality, tagmap.tags[tag].states)
    return out


def _per_tag_tables(path: Path, tags) -> dict[str, pd.DataFrame]:
    """{tag: table} of the per-tag files in a folder or a .zip archive that ``tags`` name."""
    if path.is_dir():
        files = {tag_of(p.name): p for p in sorted(path.iterdir()) if file_type(p.name)}
        return {t: _read_table(files[t]) for t in tags if t in files}
    if path.suffix.lower() != ".zip":
        raise LogError(f"log {path}: the tag map's layout is 'folder': expected a directory or a .zip of one "
                       "file per tag")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        raise LogError(f"log {path}: not a readable zip archive ({err})") from None
    with archive:
        members = {tag_of(m): m for m in sorted(archive.namelist()) if file_type(m) and not m.endswith("/")}
        return {t: _read_table(path / members[t], io.BytesIO(archive.read(members[t])))
                for t in tags if t in members}


def _read_folder(path: Path, tagmap: TagMap) -> dict[str, RawTag]:
    tables = _per_tag_tables(path, tagmap.tags)
    out = {}
    for tag in tagmap.tags:
        if tag in tables:
            df = tables[tag]
            _need(df, tagmap.timestamp_column, path / tag)
            _need(df, tagmap.value_column, path / tag)
            qcol = "quality" if "quality" in df.columns else None
            out[tag] = _series(to_utc_ns(df[tagmap.timestamp_column], tagmap.timezone), df[tagmap.value_column],
                               df[qcol] if qcol else None, np.arange(1, len(df) + 1), tagmap.good_quality,
                               tagmap.tags[tag].states)
    return out
