"""Pydantic locations -> real lines in the TOML text, or the entry's header line.

Only lines actually found are returned: a made-up number is worse than no number.
"""

from __future__ import annotations

import re
from functools import cached_property

_HEADER = re.compile(r"""^\s*(\[\[?)\s*([A-Za-z0-9_\-."' ]+?)\s*\]\]?\s*(#.*)?$""")


def _key_pattern(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    return re.compile(rf"""^\s*(?:{k}|"{k}"|'{k}')\s*(=|\.)""")


class Locator:
    """Finds table headers and keys in one TOML document's text (lines are 1-based)."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    @cached_property
    def headers(self) -> list[tuple[int, str, bool]]:
        """(line, dotted name, is_array) for every `[name]` / `[[name]]` header."""
        out = []
        for number, line in enumerate(self.lines, start=1):
            m = _HEADER.match(line)
            if m:
                name = ".".join(part.strip().strip("\"'") for part in m.group(2).split("."))
                out.append((number, name, m.group(1) == "[["))
        return out

    def _span(self, start: int, table: str) -> tuple[int, int]:
        """Lines from header `start` up to the next header outside `table`."""
        end = len(self.lines) + 1
        for number, name, is_array in self.headers:
            if number <= start:
                continue
            if name.startswith(table + ".") and not (is_array and name == table):
                continue
            end = number
            break
        return start, end

    def entry_span(self, table: str, index: int | None) -> tuple[int, int] | None:
        """The lines of the `index`-th `[[table]]` (0-based), or of `[table]` when index is None."""
        seen = 0
        for number, name, is_array in self.headers:
            if name != table:
                continue
            if index is None and not is_array:
                return self._span(number, table)
            if index is not None and is_array:
                if seen == index:
                    return self._span(number, table)
                seen += 1
        return None

    def entry_line(self, table: str, index: int | None) -> int | None:
        span = self.entry_span(table, index)
        return span[0] if span else None

    def key_line(self, table: str, index: int | None, keys: tuple = ()) -> int | None:
        """The line of `keys` (a pydantic loc) inside an entry; the entry header if not found."""
        span = self.entry_span(table, index)
        if span is None:
            return None
        start, end = span
        line = start
        path = table
        for key in keys:
            if not isinstance(key, str) or key.startswith("["):
                break  # an array index or a dict-key marker: the parent's line is the place
            found = self._find_key(key, line, end, path)
            if found is None:
                break
            line, end = found
            path = f"{path}.{key}"
        return line

    def _find_key(self, key: str, start: int, end: int, path: str) -> tuple[int, int] | None:
        pattern = _key_pattern(key)
        for number in range(start, min(end, len(self.lines) + 1)):
            text = self.lines[number - 1]
            if number != start and pattern.match(text):
                return number, number + 1
            if number == start and number > 0 and not _HEADER.match(text):
                # inline table on the parent's line: `maturity = { day0_fraction = 0.1 }`
                if re.search(rf"""[{{,]\s*["']?{re.escape(key)}["']?\s*=""", text):
                    return number, number + 1
        for number, name, _ in self.headers:  # a sub-table header: [accelerator.dense_tflops]
            if start <= number < end and name == f"{path}.{key}":
                return self._span(number, name)
        return None

    def top_level_line(self, name: str) -> int | None:
        """Where a top-level table or key named `name` first appears."""
        for number, header, _ in self.headers:
            if header == name or header.startswith(name + "."):
                return number
        pattern = _key_pattern(name)
        first_header = self.headers[0][0] if self.headers else len(self.lines) + 1
        for number in range(1, first_header):
            if pattern.match(self.lines[number - 1]):
                return number
        return None
