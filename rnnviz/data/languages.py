"""Generated character corpora: the bracket-and-quote language and human dates for seq2seq.

`bracket_text` writes a small language a char-level LSTM can learn and a student can read,
`f(a [b c] "say {x}") d`, with the bracket depth and quote state of every character as labels
for probing hidden units. `date_pairs` writes dates the way people do, paired with ISO dates.
Both are deterministic given their seed (Python's `random.Random`, the same on every platform).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.core.validation import require_fraction, require_int

# ---------------------------------------------------------------- the bracket-and-quote language

BRACKET_ALPHABET = "\n \"()[]abcdefghijklmnopqrstuvwxyz{}"  # every character the generator can write, sorted
BRACKET_PAIRS = {"(": ")", "[": "]", "{": "}"}
BRACKET_WORDS = (
    "a", "b", "c", "x", "y", "z", "n", "i", "say", "let", "get", "put", "list", "set", "red", "blue",
    "cat", "dog", "one", "two", "yes", "no", "if", "then", "and", "or", "not", "go", "stop", "hello", "world",
)  # fmt: skip
CALL_NAMES = ("f", "g", "sum", "max", "min", "map", "print", "len")  # written right before "("
MAX_BRACKET_DEPTH = 12
BRACKET_SAMPLE = (  # a hand-written text of the bracket language, shown where a page needs one to read
    'f(a [b c] "say {x}") x\n'
    'let (x (y [z {n}])) "hello world"\n'
    "print(max([one two] {yes (no)}))\n"
    'if [red "blue (cat)" dog] then {go}\n'
    "map(list [set (put [get {a b}] c)] x)\n"
    '"stop" len({i [n (x)]}) and not "yes"\n'
)
MAX_BRACKET_CHARS = 2_000_000  # about 5 s to generate
_CLOSERS = frozenset(BRACKET_PAIRS.values())


@dataclass(frozen=True, eq=False)
class BracketText:
    """Text of the bracket language with the state after each character (see `analyze_brackets`)."""

    text: str
    depth: np.ndarray  # (N,) int64: open brackets after reading the character
    in_quote: np.ndarray  # (N,) bool: inside a quote after reading the character

    def __post_init__(self) -> None:
        """Make the label arrays read-only and check they match the text."""
        if not (len(self.text) == len(self.depth) == len(self.in_quote)):
            raise ValueError("text, depth and in_quote must have the same length")
        self.depth.setflags(write=False)
        self.in_quote.setflags(write=False)


def analyze_brackets(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Depth (N,) int64 and in_quote (N,) bool of any text: the state AFTER reading each character.

    Both labels describe the state once the character has been read, which is what an RNN's
    hidden state at that step should know (it predicts the next character from it):

    - depth counts the open brackets of all three kinds: an opening bracket already counts
      itself, a closing bracket no longer does. A closer with nothing open is ignored (depth
      never goes below 0); bracket kinds are not matched against each other.
    - a `"` toggles the quote, so an opening quote character is in_quote and a closing one
      is not. A newline ends an unclosed quote (the newline itself is not in_quote).

        text      f  (  a  ·  [  b  ]  ·  "  s  a  y  "  )  \\n     (· is a space)
        depth     0  1  1  1  2  2  1  1  1  1  1  1  1  0  0
        in_quote  .  .  .  .  .  .  .  .  Q  Q  Q  Q  .  .  .
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    depths: list[int] = []
    quotes: list[bool] = []
    level, quoted = 0, False
    for char in text:
        if char in BRACKET_PAIRS:
            level += 1
        elif char in _CLOSERS:
            level = max(level - 1, 0)
        elif char == '"':
            quoted = not quoted
        elif char == "\n":
            quoted = False
        depths.append(level)
        quotes.append(quoted)
    return np.array(depths, dtype=np.int64), np.array(quotes, dtype=bool)


class _Writer:
    """Collects characters together with the depth and quote state after each one."""

    def __init__(self) -> None:
        """Start empty."""
        self.chars: list[str] = []
        self.depths: list[int] = []
        self.quotes: list[bool] = []

    def write(self, text: str, depth: int, in_quote: bool) -> None:
        """Append `text`; the state after each of its characters is (depth, in_quote)."""
        self.chars.append(text)
        self.depths.extend([depth] * len(text))
        self.quotes.extend([in_quote] * len(text))


@dataclass(frozen=True)
class _Grammar:
    """The dials of one corpus and its random source."""

    rng: random.Random
    max_depth: int
    quote_probability: float


def _sentence(grammar: _Grammar, out: _Writer) -> None:
    """Write one line: 2-4 items at depth 0, one of them a group nested 1..max_depth deep."""
    rng = grammar.rng
    count = rng.randint(2, 4)
    spine = rng.randrange(count)
    for index in range(count):
        if index:
            out.write(" ", 0, False)
        if index == spine:
            _group(grammar, out, depth=0, levels=rng.randint(1, grammar.max_depth), in_quote=False)
        else:
            _item(grammar, out, depth=0, in_quote=False)
    out.write("\n", 0, False)


def _group(grammar: _Grammar, out: _Writer, depth: int, levels: int, in_quote: bool) -> None:
    """Write a bracket group opened at `depth` holding a chain of groups `levels` deep in all."""
    rng = grammar.rng
    opener = rng.choice("([{")
    if opener == "(" and rng.random() < 0.5:
        out.write(rng.choice(CALL_NAMES), depth, in_quote)  # a call: f(...)
    out.write(opener, depth + 1, in_quote)
    count = rng.randint(1, 3)
    spine = rng.randrange(count) if levels > 1 else -1
    for index in range(count):
        if index:
            out.write(" ", depth + 1, in_quote)
        if index == spine:
            _group(grammar, out, depth + 1, levels - 1, in_quote)
        else:
            _item(grammar, out, depth + 1, in_quote)
    out.write(BRACKET_PAIRS[opener], depth, in_quote)


def _item(grammar: _Grammar, out: _Writer, depth: int, in_quote: bool) -> None:
    """Write a word, a quote (never inside a quote) or a small group (which may nest up to max_depth)."""
    rng = grammar.rng
    roll = rng.random()
    if not in_quote and roll < grammar.quote_probability:
        _quote(grammar, out, depth)
    elif depth < grammar.max_depth and roll > 0.8:
        _group(grammar, out, depth, levels=1, in_quote=in_quote)
    else:
        out.write(rng.choice(BRACKET_WORDS), depth, in_quote)


def _quote(grammar: _Grammar, out: _Writer, depth: int) -> None:
    """Write "..." of 1-3 words or small groups; it opens and closes at the same depth."""
    out.write('"', depth, True)
    for index in range(grammar.rng.randint(1, 3)):
        if index:
            out.write(" ", depth, True)
        _item(grammar, out, depth, in_quote=True)
    out.write('"', depth, False)


def bracket_text(
    num_chars: int, *, max_depth: int = 4, seed: int = 0, quote_probability: float = 0.15
) -> BracketText:
    """Whole lines of the bracket language, at least `num_chars` characters, with per-character labels.

    Each line holds a few items (words, "quotes", bracket groups) separated by single spaces,
    and one group on each line nests a uniformly drawn 1..max_depth levels deep, so `max_depth`
    dials how far apart an opening bracket and its closer can be. Brackets always close in
    the right order and kind; a quote opens and closes at the same depth, holds words and
    small groups but no quote, and never spans a line. The text ends with "\\n" and uses only
    BRACKET_ALPHABET. The labels follow `analyze_brackets` (state after each character),
    but are written by the generator from its own parse, so the two can be compared.
    """
    num_chars = require_int("num_chars", num_chars, minimum=1, maximum=MAX_BRACKET_CHARS)
    max_depth = require_int("max_depth", max_depth, minimum=1, maximum=MAX_BRACKET_DEPTH)
    seed = require_int("seed", seed, minimum=0)
    quote_probability = require_fraction("quote_probability", quote_probability)
    grammar = _Grammar(random.Random(seed), max_depth, quote_probability)
    out = _Writer()
    while len(out.depths) < num_chars:
        _sentence(grammar, out)
    return BracketText(
        text="".join(out.chars),
        depth=np.array(out.depths, dtype=np.int64),
        in_quote=np.array(out.quotes, dtype=bool),
    )


# ---------------------------------------------------------------- dates for the seq2seq page

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FIRST_DATE = datetime.date(1950, 1, 1)
# Two-digit years are never ambiguous in this range: 50-99 -> 19xx, 00-49 -> 20xx.
LAST_DATE = datetime.date(2049, 12, 31)
MAX_DATE_PAIRS = 1_000_000

# Fields: {weekday} tuesday, {wkd} tue, {day} 5, {dd} 05, {ordinal} 5th, {month} november,
# {mon} nov, {m} 11, {mm} 11, {year} 2026, {yy} 26. Numbers are always day first.
DATE_FORMATS = (
    "{day} {mon} {year}",  # 25 nov 2026
    "{day} {month} {year}",  # 25 november 2026
    "{month} {day}, {year}",  # november 25, 2026
    "{mon} {day}, {year}",  # nov 25, 2026
    "{mon} {day} {yy}",  # nov 25 26
    "{ordinal} of {month} {year}",  # 25th of november 2026
    "{dd}/{mm}/{year}",  # 25/11/2026
    "{dd}.{mm}.{year}",  # 25.11.2026
    "{day}.{m}.{yy}",  # 25.11.26
    "{weekday} {day} {mon} {year}",  # wednesday 25 nov 2026
    "{weekday}, {month} {day}, {year}",  # wednesday, november 25, 2026
    "{wkd} {day} {month} {year}",  # wed 25 november 2026
    "{wkd}, {dd}/{mm}/{year}",  # wed, 25/11/2026
)
DATE_SOURCE_ALPHABET = " ,./0123456789abcdefghijklmnopqrstuvwxyz"
DATE_TARGET_ALPHABET = "-0123456789"


def _ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd, 23rd, ..., 31st."""
    suffix = "th" if day % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def format_date(value: datetime.date, template: str) -> str:
    """Write `value` in one of DATE_FORMATS, in English and lowercase whatever the locale."""
    if template not in DATE_FORMATS:
        raise ValueError(f"template must be one of DATE_FORMATS, e.g. {DATE_FORMATS[0]!r}; got {template!r}")
    weekday, month = WEEKDAYS[value.weekday()], MONTHS[value.month - 1]
    return template.format(
        weekday=weekday,
        wkd=weekday[:3],
        day=value.day,
        dd=f"{value.day:02d}",
        ordinal=_ordinal(value.day),
        month=month,
        mon=month[:3],
        m=value.month,
        mm=f"{value.month:02d}",
        year=f"{value.year:04d}",
        yy=f"{value.year % 100:02d}",
    )


def date_pairs(count: int, *, seed: int = 0, formats: Sequence[str] = DATE_FORMATS) -> list[tuple[str, str]]:
    """`count` pairs (human date, ISO YYYY-MM-DD), dates uniform over 1950-2049, formats over `formats`."""
    count = require_int("count", count, minimum=1, maximum=MAX_DATE_PAIRS)
    seed = require_int("seed", seed, minimum=0)
    if isinstance(formats, str) or not formats or any(template not in DATE_FORMATS for template in formats):
        raise ValueError(f"formats must be a non-empty sequence of entries of DATE_FORMATS; got {formats!r}")
    templates = tuple(formats)
    rng = random.Random(seed)
    first, last = FIRST_DATE.toordinal(), LAST_DATE.toordinal()
    pairs = []
    for _ in range(count):
        value = datetime.date.fromordinal(rng.randint(first, last))
        pairs.append((format_date(value, rng.choice(templates)), value.isoformat()))
    return pairs
