"""Synthetic student records under the data contract, with a known answer and optional defects.

Every record is valid under ``training_scripts/student_contract.json`` unless a defect is asked
for. The target G3 follows a known function of the features plus Gaussian noise of standard
deviation ``NOISE_SD``, rounded and clipped into the contract's 0..20, so tests know the best
RMSE any model can reach: ``noise_floor_rmse()``.

Generation is deterministic for a given seed and row count, vectorised in fixed-size chunks
(each chunk has its own seeded generator), and streamed to disk, so multi-gigabyte files take
constant memory. Without defects, the first k rows of a larger file equal a k-row file with the
same seed.

Python API (for tests elsewhere in the project)::

    from tools.sample_data import DefectSpec, generate_rows, render_csv, write_csv
    rows = list(generate_rows(10, seed=1))                       # dicts, raw strings
    rendered = render_csv(200, seed=3, defects=[DefectSpec("missing", 5)])
    rendered.text, rendered.defects                              # defects say row and column
    write_csv("big.csv", 1_000_000, seed=7)                      # streams, returns GeneratedFile

CLI::

    python -m tools.sample_data --rows 1000 --seed 7 --out file.csv --defect missing:5
    python -m tools.sample_data --size-mb 100 --out big.csv --manifest big.defects.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from contract import CATEGORY, Column, Contract, load_contract

CONTRACT: Contract = load_contract()
TARGET = CONTRACT.target

NOISE_SD = 1.25
"""Standard deviation of the Gaussian noise added to the noiseless G3 before rounding."""

CHUNK_ROWS = 8192  # even, so a duplicate (odd row) and its source (even row) share a chunk
_FLOOR_SAMPLE_ROWS = 100_000
_FLOOR_SEED = 20_240_601

ROW_DEFECTS = ("missing", "out_of_range", "unknown_category", "non_integer", "formula", "duplicate")
FILE_DEFECTS = ("wrong_column_order", "wrong_delimiter")
QUOTING_STYLES = ("minimal", "uci")
WRONG_DELIMITER = ","

# Spreadsheet formula payloads as seen in CSV-injection advisories; the last one needs quoting.
FORMULA_PAYLOADS = (
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://attacker.example/x","click")',
)
NON_INTEGER_TEXTS = ("4.5", "NA", "seven", "1e3", "12abc", "null")

# The original UCI files quote text fields and, oddly, the G1 and G2 grades.
_UCI_QUOTED_INTEGERS = ("G1", "G2")


# --------------------------------------------------------------------------------------------
# The data-generating process
# --------------------------------------------------------------------------------------------

# Columns with a hand-written distribution; every other column is drawn uniformly from its
# contract range or allowed values. Names are checked against the contract at import.
_AGE_PROBABILITIES = (0.2, 0.27, 0.25, 0.2, 0.055, 0.015, 0.006, 0.004)  # ages 15..22
_PARENT_EDUCATION_PROBABILITIES = (0.02, 0.15, 0.28, 0.25, 0.30)  # levels 0..4
_STUDYTIME_PROBABILITIES = (0.27, 0.50, 0.16, 0.07)  # levels 1..4
_ALCOHOL_PROBABILITIES = (0.60, 0.20, 0.10, 0.06, 0.04)  # levels 1..5
_MODELLED_COLUMNS = (
    "age", "Medu", "Fedu", "studytime", "failures", "higher", "absences", "Dalc", "Walc",
    "G1", "G2", TARGET,
)  # fmt: skip


def _check_modelled_columns() -> None:
    missing = [name for name in _MODELLED_COLUMNS if name not in CONTRACT.column_names]
    if missing:
        raise RuntimeError(f"sample_data models columns the contract lacks: {missing}")


_check_modelled_columns()


def noiseless_g3(features: Mapping[str, np.ndarray]) -> np.ndarray:
    """The known, continuous part of G3 (before noise, rounding and clipping).

    ``features`` maps column names to arrays: integers as numbers, categories as strings.
    Mostly the second-period grade, adjusted by study habits, past failures, absences,
    ambition and drinking, with one interaction, all of which gradient boosting can learn.
    """
    grade_1 = np.asarray(features["G1"], dtype=float)
    grade_2 = np.asarray(features["G2"], dtype=float)
    studytime = np.asarray(features["studytime"], dtype=float)
    failures = np.asarray(features["failures"], dtype=float)
    absences = np.asarray(features["absences"], dtype=float)
    workday_alcohol = np.asarray(features["Dalc"], dtype=float)
    wants_higher = (np.asarray(features["higher"]) == "yes").astype(float)
    strong_and_diligent = ((grade_2 >= 14) & (studytime >= 3)).astype(float)
    return (
        0.15 * grade_1
        + 0.85 * grade_2
        + 0.6 * (studytime - 2)
        - 1.0 * failures
        - 2.5 * (1 - np.exp(-absences / 8))
        + 1.2 * wants_higher
        - 0.4 * (workday_alcohol - 1)
        + 1.2 * strong_and_diligent
        + 0.2
    )


def _grade_bounds() -> tuple[int, int]:
    target = CONTRACT.column(TARGET)
    assert target.minimum is not None and target.maximum is not None
    return target.minimum, target.maximum


def _standard_normal_cdf(values: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr  # local import: only the noise-floor maths needs scipy

    return ndtr(values)


def _g3_distribution(noiseless: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact distribution of G3 = clip(round(noiseless + N(0, NOISE_SD))) per record.

    Returns (grades, probabilities) with probabilities shaped (records, grades).
    """
    low, high = _grade_bounds()
    grades = np.arange(low, high + 1, dtype=float)
    upper_edges = (grades + 0.5)[None, :] - noiseless[:, None]
    lower_edges = (grades - 0.5)[None, :] - noiseless[:, None]
    upper_cdf = _standard_normal_cdf(upper_edges / NOISE_SD)
    lower_cdf = _standard_normal_cdf(lower_edges / NOISE_SD)
    upper_cdf[:, -1] = 1.0  # clipping folds the upper tail into the top grade
    lower_cdf[:, 0] = 0.0  # and the lower tail into the bottom grade
    return grades, upper_cdf - lower_cdf


def expected_g3(features: Mapping[str, np.ndarray]) -> np.ndarray:
    """E[G3 | features]: the best possible prediction under squared error."""
    grades, probabilities = _g3_distribution(noiseless_g3(features))
    return probabilities @ grades


@lru_cache(maxsize=1)
def noise_floor_rmse() -> float:
    """The irreducible RMSE of G3: sqrt(E[Var(G3 | features)]).

    Exact over the noise (normal CDF over each rounding interval, clipped tails folded in) and
    averaged over a large fixed sample of feature vectors. Rounding adds about 1/12 to the
    variance and clipping at 0 and 20 removes a little, so it is close to, not equal to,
    NOISE_SD.
    """
    features = _generate_columns(_FLOOR_SAMPLE_ROWS, np.random.default_rng(_FLOOR_SEED))
    grades, probabilities = _g3_distribution(noiseless_g3(features))
    mean = probabilities @ grades
    variance = probabilities @ (grades**2) - mean**2
    return float(math.sqrt(float(np.mean(variance))))


def _categorical(rng: np.random.Generator, column: Column, size: int) -> np.ndarray:
    codes = rng.integers(0, len(column.allowed), size=size)
    return np.asarray(column.allowed, dtype=object)[codes]


def _uniform_integer(rng: np.random.Generator, column: Column, size: int) -> np.ndarray:
    assert column.minimum is not None and column.maximum is not None
    return rng.integers(column.minimum, column.maximum + 1, size=size)


def _levels(rng: np.random.Generator, first: int, probabilities: Sequence[float], size: int):
    return first + rng.choice(len(probabilities), size=size, p=probabilities)


def _generate_columns(size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One block of clean records: integers as int64 arrays, categories as object arrays.

    Every column is drawn in contract order, then the modelled ones are overwritten, so the
    random stream does not depend on which columns are modelled.
    """
    columns: dict[str, np.ndarray] = {}
    for column in CONTRACT.columns:
        if column.kind == CATEGORY:
            columns[column.name] = _categorical(rng, column, size)
        else:
            columns[column.name] = _uniform_integer(rng, column, size)

    ability = rng.standard_normal(size)  # latent: drives grades, failures and ambition
    columns["age"] = _levels(rng, 15, _AGE_PROBABILITIES, size)
    columns["Medu"] = _levels(rng, 0, _PARENT_EDUCATION_PROBABILITIES, size)
    columns["Fedu"] = _levels(rng, 0, _PARENT_EDUCATION_PROBABILITIES, size)
    columns["studytime"] = _levels(rng, 1, _STUDYTIME_PROBABILITIES, size)
    columns["Dalc"] = _levels(rng, 1, _ALCOHOL_PROBABILITIES, size)
    columns["Walc"] = np.minimum(columns["Dalc"] + rng.integers(0, 3, size=size), 5)
    columns["failures"] = np.minimum(rng.poisson(0.25 * np.exp(-0.9 * ability)), 4)
    wants_higher = rng.random(size) < 1 / (1 + np.exp(-(2.5 + 1.2 * ability)))
    columns["higher"] = np.where(wants_higher, "yes", "no").astype(object)
    columns["absences"] = np.minimum(rng.poisson(rng.gamma(0.8, 6.0, size=size)), 93)

    low, high = _grade_bounds()
    latent_grade = 11 + 2.8 * ability + 0.3 * (columns["Medu"] - 2)
    grade_1 = latent_grade + 0.4 * (columns["studytime"] - 2) - 0.7 * columns["failures"]
    grade_1 = grade_1 + rng.normal(0, 1.2, size)
    columns["G1"] = np.clip(np.rint(grade_1), low, high).astype(np.int64)
    grade_2 = 0.8 * columns["G1"] + 0.2 * latent_grade + 0.2 + rng.normal(0, 1.3, size)
    columns["G2"] = np.clip(np.rint(grade_2), low, high).astype(np.int64)
    noisy = noiseless_g3(columns) + rng.normal(0, NOISE_SD, size)
    columns[TARGET] = np.clip(np.rint(noisy), low, high).astype(np.int64)
    return columns


def _chunk_rng(seed: int, chunk_index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, chunk_index]))


def _iter_column_chunks(rows: int, seed: int) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """(first row index, columns) per chunk; every chunk is generated whole, then truncated."""
    _check_rows_and_seed(rows, seed)
    for chunk_index, start in enumerate(range(0, rows, CHUNK_ROWS)):
        columns = _generate_columns(CHUNK_ROWS, _chunk_rng(seed, chunk_index))
        size = min(CHUNK_ROWS, rows - start)
        yield start, {name: values[:size] for name, values in columns.items()}


def _check_rows_and_seed(rows: int, seed: int) -> None:
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")


def generate_columns(rows: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Clean records as typed arrays in contract order (for in-memory training/benchmarks)."""
    blocks = [columns for _, columns in _iter_column_chunks(rows, seed)]
    if not blocks:
        return {
            column.name: np.array([], dtype=object if column.kind == CATEGORY else np.int64)
            for column in CONTRACT.columns
        }
    return {name: np.concatenate([block[name] for block in blocks]) for name in blocks[0]}


# --------------------------------------------------------------------------------------------
# Defects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefectSpec:
    """Ask for ``count`` rows with one defect of ``kind`` (file-level kinds ignore count)."""

    kind: str
    count: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ROW_DEFECTS + FILE_DEFECTS:
            known = ", ".join(ROW_DEFECTS + FILE_DEFECTS)
            raise ValueError(f"unknown defect kind {self.kind!r}; known kinds: {known}")
        if self.count < 1:
            raise ValueError(f"defect {self.kind!r} needs a count >= 1, got {self.count}")


def parse_defect(text: str) -> DefectSpec:
    """Parse ``kind`` or ``kind:count`` as given on the command line."""
    kind, _, count = text.partition(":")
    if not count:
        return DefectSpec(kind.strip())
    try:
        return DefectSpec(kind.strip(), int(count))
    except ValueError as error:
        if "invalid literal" in str(error):
            raise ValueError(f"defect {text!r}: count must be an integer") from None
        raise


@dataclass(frozen=True)
class InjectedDefect:
    """One defect really present in the output.

    ``row`` is the 0-based data row (None for file-level defects); ``line`` the 1-based line in
    the CSV file (the header is line 1). ``value`` is the raw (unquoted) text written.
    """

    kind: str
    row: int | None
    column: str | None
    value: str | None
    detail: str = ""

    @property
    def line(self) -> int | None:
        return None if self.row is None else self.row + 2


@dataclass(frozen=True)
class _DefectPlan:
    cells: dict[int, InjectedDefect]  # row -> defect (one per row, never on an even row)
    swapped_columns: tuple[str, str] | None
    delimiter: str

    @property
    def injected(self) -> tuple[InjectedDefect, ...]:
        file_level = []
        if self.swapped_columns:
            first, second = self.swapped_columns
            file_level.append(
                InjectedDefect(
                    "wrong_column_order",
                    None,
                    f"{first},{second}",
                    None,
                    f"columns {first!r} and {second!r} swapped in header and every row",
                )
            )
        if self.delimiter != CONTRACT.delimiter:
            file_level.append(
                InjectedDefect(
                    "wrong_delimiter",
                    None,
                    None,
                    self.delimiter,
                    f"fields separated by {self.delimiter!r}",
                )
            )
        return tuple(file_level) + tuple(self.cells[row] for row in sorted(self.cells))


def _out_of_range_value(rng: random.Random, column: Column) -> str:
    assert column.minimum is not None and column.maximum is not None
    if column.minimum > 0 and rng.random() < 0.5:
        return str(column.minimum - 1)
    return str(column.maximum + rng.randint(1, 10))


def _unknown_category_value(rng: random.Random, column: Column) -> str:
    variants = {
        variant
        for value in column.allowed
        for variant in (value.lower(), value.upper(), value.capitalize(), value + "s")
    }
    candidates = sorted(variants - set(column.allowed)) or ["unknown"]
    return rng.choice(candidates)


def _cell_defect(kind: str, row: int, rng: random.Random) -> InjectedDefect:
    integer_columns = [column for column in CONTRACT.columns if column.kind != CATEGORY]
    category_columns = [column for column in CONTRACT.columns if column.kind == CATEGORY]
    if kind == "duplicate":
        return InjectedDefect(kind, row, None, None, f"copy of row {row - 1}")
    if kind == "missing":
        column = rng.choice(CONTRACT.columns)
        return InjectedDefect(kind, row, column.name, "", "empty field")
    if kind == "out_of_range":
        column = rng.choice(integer_columns)
        value = _out_of_range_value(rng, column)
        return InjectedDefect(
            kind, row, column.name, value, f"outside {column.minimum}..{column.maximum}"
        )
    if kind == "non_integer":
        column = rng.choice(integer_columns)
        return InjectedDefect(
            kind, row, column.name, rng.choice(NON_INTEGER_TEXTS), "not an integer"
        )
    if kind == "unknown_category":
        column = rng.choice(category_columns)
        value = _unknown_category_value(rng, column)
        return InjectedDefect(kind, row, column.name, value, f"not one of {list(column.allowed)}")
    if kind == "formula":
        column = rng.choice(category_columns)
        return InjectedDefect(
            kind, row, column.name, rng.choice(FORMULA_PAYLOADS), "formula injection"
        )
    raise AssertionError(f"not a row defect: {kind}")


def _plan_defects(rows: int, seed: int, defects: Iterable[DefectSpec]) -> _DefectPlan:
    specs = list(defects)
    rng = random.Random(f"sample-data-defects-{seed}")
    row_specs = [spec for spec in specs if spec.kind in ROW_DEFECTS]
    wanted = sum(spec.count for spec in row_specs)
    # Defects go on odd rows only, so each duplicate's source (the even row before it) is clean.
    if wanted > rows // 2:
        raise ValueError(f"{wanted} row defects need at least {2 * wanted} rows, got {rows}")
    odd_rows = [2 * slot + 1 for slot in rng.sample(range(rows // 2), wanted)]
    kinds = [spec.kind for spec in row_specs for _ in range(spec.count)]
    cells = {row: _cell_defect(kind, row, rng) for row, kind in zip(odd_rows, kinds, strict=True)}

    kinds_asked = {spec.kind for spec in specs}
    swapped = None
    if "wrong_column_order" in kinds_asked:
        first, second = rng.sample(list(CONTRACT.column_names), 2)
        swapped = (first, second)
    delimiter = WRONG_DELIMITER if "wrong_delimiter" in kinds_asked else CONTRACT.delimiter
    return _DefectPlan(cells=cells, swapped_columns=swapped, delimiter=delimiter)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _value_tables() -> dict[str, np.ndarray]:
    """Per column, the text of every code: integers offset by 0, categories as themselves."""
    tables = {}
    for column in CONTRACT.columns:
        if column.kind == CATEGORY:
            continue
        assert column.maximum is not None
        tables[column.name] = np.array(
            [str(value) for value in range(column.maximum + 1)], dtype=object
        )
    return tables


_INTEGER_TEXT = _value_tables()


def _column_texts(columns: Mapping[str, np.ndarray]) -> list[list[str]]:
    """Raw field texts per column, in contract order."""
    texts = []
    for column in CONTRACT.columns:
        values = columns[column.name]
        if column.kind == CATEGORY:
            texts.append(values.tolist())
        else:
            texts.append(_INTEGER_TEXT[column.name][values].tolist())
    return texts


def _apply_cell_defects(
    texts: list[list[str]], start: int, plan: _DefectPlan
) -> list[tuple[int, int]]:
    """Write the planned defects of this chunk into ``texts``; return their (row, column) cells."""
    size = len(texts[0]) if texts else 0
    touched = []
    index_of = {name: position for position, name in enumerate(CONTRACT.column_names)}
    for row in range(start + 1 - start % 2, start + size, 2):
        defect = plan.cells.get(row)
        if defect is None:
            continue
        local = row - start
        if defect.kind == "duplicate":
            for column_texts in texts:
                column_texts[local] = column_texts[local - 1]
            continue
        assert defect.column is not None and defect.value is not None
        position = index_of[defect.column]
        texts[position][local] = defect.value
        touched.append((local, position))
    return touched


def _iter_text_chunks(
    rows: int, seed: int, plan: _DefectPlan
) -> Iterator[tuple[int, list[list[str]], list[tuple[int, int]]]]:
    for start, columns in _iter_column_chunks(rows, seed):
        texts = _column_texts(columns)
        touched = _apply_cell_defects(texts, start, plan)
        yield start, texts, touched


def generate_rows(
    rows: int, seed: int = 0, *, defects: Iterable[DefectSpec] = ()
) -> Iterator[dict[str, str]]:
    """Records as {column: raw text} in contract order; row-level defects only.

    The injected defects are the same as ``render_csv(rows, seed, defects=...)`` reports.
    """
    specs = list(defects)
    file_level = [spec.kind for spec in specs if spec.kind in FILE_DEFECTS]
    if file_level:
        raise ValueError(f"file-level defects {file_level} only apply to CSV output")
    plan = _plan_defects(rows, seed, specs)
    names = CONTRACT.column_names
    for _, texts, _ in _iter_text_chunks(rows, seed, plan):
        for values in zip(*texts, strict=True):
            yield dict(zip(names, values, strict=True))


def injected_defects(
    rows: int, seed: int = 0, *, defects: Iterable[DefectSpec] = ()
) -> tuple[InjectedDefect, ...]:
    """What ``generate_rows``/``render_csv``/``write_csv`` inject, without generating data."""
    return _plan_defects(rows, seed, defects).injected


def quote_field(value: str, delimiter: str, quotechar: str, *, always: bool = False) -> str:
    """CSV-quote one field when needed (or always), doubling embedded quote characters."""
    if always or delimiter in value or quotechar in value or "\n" in value or "\r" in value:
        return quotechar + value.replace(quotechar, quotechar * 2) + quotechar
    return value


def _quoted_columns(quoting: str) -> set[int]:
    if quoting not in QUOTING_STYLES:
        raise ValueError(f"quoting must be one of {QUOTING_STYLES}, got {quoting!r}")
    if quoting == "minimal":
        return set()
    return {
        position
        for position, column in enumerate(CONTRACT.columns)
        if column.kind == CATEGORY or column.name in _UCI_QUOTED_INTEGERS
    }


def _file_order(plan: _DefectPlan) -> list[int]:
    order = list(range(len(CONTRACT.columns)))
    if plan.swapped_columns:
        first, second = (CONTRACT.column_names.index(name) for name in plan.swapped_columns)
        order[first], order[second] = order[second], order[first]
    return order


def iter_csv_text(
    rows: int,
    seed: int = 0,
    *,
    defects: Iterable[DefectSpec] = (),
    quoting: str = "minimal",
) -> Iterator[str]:
    """The CSV file as text pieces (header first, then one piece per chunk), for streaming."""
    plan = _plan_defects(rows, seed, list(defects))
    quoted = _quoted_columns(quoting)
    order = _file_order(plan)
    delimiter, quotechar = plan.delimiter, CONTRACT.quotechar
    header = [CONTRACT.column_names[position] for position in order]
    yield delimiter.join(header) + "\n"
    for _, texts, touched in _iter_text_chunks(rows, seed, plan):
        for position in quoted:
            texts[position] = [
                quotechar + value + quotechar if value else value for value in texts[position]
            ]
        for local, position in touched:
            raw = texts[position][local]
            if position in quoted and raw:
                raw = raw[1:-1]  # undo the blanket quoting; quote_field redoes it properly
            texts[position][local] = quote_field(
                raw, delimiter, quotechar, always=position in quoted and bool(raw)
            )
        ordered = [texts[position] for position in order]
        yield "".join(delimiter.join(values) + "\n" for values in zip(*ordered, strict=True))


@dataclass(frozen=True)
class RenderedCsv:
    text: str
    header: tuple[str, ...]
    delimiter: str
    defects: tuple[InjectedDefect, ...]


@dataclass(frozen=True)
class GeneratedFile:
    path: Path
    rows: int
    bytes: int
    header: tuple[str, ...]
    delimiter: str
    defects: tuple[InjectedDefect, ...]


def _header_and_delimiter(plan: _DefectPlan) -> tuple[tuple[str, ...], str]:
    return tuple(CONTRACT.column_names[position] for position in _file_order(plan)), plan.delimiter


def render_csv(
    rows: int,
    seed: int = 0,
    *,
    defects: Iterable[DefectSpec] = (),
    quoting: str = "minimal",
) -> RenderedCsv:
    """A whole (small) CSV file in memory, with the defects it contains."""
    specs = list(defects)
    plan = _plan_defects(rows, seed, specs)
    header, delimiter = _header_and_delimiter(plan)
    text = "".join(iter_csv_text(rows, seed, defects=specs, quoting=quoting))
    return RenderedCsv(text=text, header=header, delimiter=delimiter, defects=plan.injected)


def write_csv(
    path: str | Path,
    rows: int,
    seed: int = 0,
    *,
    defects: Iterable[DefectSpec] = (),
    quoting: str = "minimal",
) -> GeneratedFile:
    """Stream a CSV file of ``rows`` records to ``path`` (constant memory)."""
    specs = list(defects)
    plan = _plan_defects(rows, seed, specs)
    header, delimiter = _header_and_delimiter(plan)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=CONTRACT.encoding, newline="") as handle:
        for piece in iter_csv_text(rows, seed, defects=specs, quoting=quoting):
            handle.write(piece)
    return GeneratedFile(
        path=path,
        rows=rows,
        bytes=path.stat().st_size,
        header=header,
        delimiter=delimiter,
        defects=plan.injected,
    )


def rows_for_size(target_bytes: int, seed: int = 0) -> int:
    """Roughly how many rows make a file of ``target_bytes`` (from the first chunk's mean size)."""
    pieces = iter_csv_text(CHUNK_ROWS, seed)
    header = next(pieces)
    body = next(pieces)
    mean_row_bytes = len(body) / CHUNK_ROWS
    return max(0, round((target_bytes - len(header)) / mean_row_bytes))


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.sample_data",
        description="Write synthetic student records (valid unless defects are asked).",
    )
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--rows", type=int, help="number of data rows")
    size.add_argument(
        "--size-mb", type=float, help="approximate file size in MiB instead of --rows"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument(
        "--defect",
        action="append",
        default=[],
        type=parse_defect,
        metavar="KIND[:COUNT]",
        help=f"inject defects; kinds: {', '.join(ROW_DEFECTS + FILE_DEFECTS)}",
    )
    parser.add_argument(
        "--quoting",
        choices=QUOTING_STYLES,
        default="minimal",
        help="uci: quote text like the UCI files",
    )
    parser.add_argument(
        "--manifest", type=Path, help="also write the injected defects as JSON here"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    rows = (
        args.rows
        if args.rows is not None
        else rows_for_size(int(args.size_mb * 1024 * 1024), args.seed)
    )
    try:
        generated = write_csv(args.out, rows, args.seed, defects=args.defect, quoting=args.quoting)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {generated.rows} rows, {generated.bytes} bytes to {generated.path}", file=sys.stderr
    )
    for defect in generated.defects:
        where = f"line {defect.line}" if defect.line else "whole file"
        print(
            f"  {defect.kind}: {where}, column {defect.column}, value {defect.value!r}",
            file=sys.stderr,
        )
    if args.manifest:
        document = {
            "path": str(generated.path),
            "rows": generated.rows,
            "seed": args.seed,
            "header": list(generated.header),
            "delimiter": generated.delimiter,
            "defects": [{**asdict(defect), "line": defect.line} for defect in generated.defects],
        }
        args.manifest.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
