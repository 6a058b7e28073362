"""Pydantic locations -> real lines in the TOML text, or the entry's header line.

Only lines actually found are returned: a made-up number is worse than no number.
"""

from __future__ import annotations

import bisect
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

    @cached_property
    def _header_lines(self) -> list[int]:
        return [number for number, _, _ in self.headers]

    @cached_property
    def _by_name(self) -> dict[str, tuple[list[int], int | None]]:
        """name -> (lines of its `[[name]]` headers in order, line of its first `[name]`): one pass."""
        out: dict[str, tuple[list[int], int | None]] = {}
        for number, name, is_array in self.headers:
            arrays, table = out.get(name, ([], None))
            if is_array:
                arrays.append(number)
            elif table is None:
                table = number
            out[name] = (arrays, table)
        return out

    @cached_property
    def _first_line(self) -> dict[str, int]:
        """Top-level name -> the first header line that opens it or a table under it."""
        out: dict[str, int] = {}
        for number, name, _ in self.headers:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                out.setdefault(".".join(parts[:i]), number)
        return out

    def _span(self, start: int, table: str) -> tuple[int, int]:
        """Lines from header `start` up to the next header outside `table`."""
        end = len(self.lines) + 1
        at = bisect.bisect_right(self._header_lines, start)
        headers = self.headers
        for i in range(at, len(headers)):
            number, name, is_array = headers[i]
            if name.startswith(table + ".") and not (is_array and name == table):
                continue
            end = number
            break
        return start, end

    def entry_span(self, table: str, index: int | None) -> tuple[int, int] | None:
        """The lines of the `index`-th `[[table]]` (0-based), or of `[table]` when index is None."""
        arrays, first_table = self._by_name.get(table, ([], None))
        if index is None:
            return self._span(first_table, table) if first_table is not None else None
        if 0 <= index < len(arrays):
            return self._span(arrays[index], table)
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
        arrays, table = self._by_name.get(f"{path}.{key}", ([], None))  # a sub-table: [accelerator.dense_tflops]
        for number in sorted(([table] if table is not None else []) + arrays):
            if start <= number < end:
                return self._span(number, f"{path}.{key}")
        return None

    def top_level_line(self, name: str) -> int | None:
        """Where a top-level table or key named `name` first appears."""
        found = self._first_line.get(name)
        if found is not None:
            return found
        pattern = _key_pattern(name)
        first_header = self.headers[0][0] if self.headers else len(self.lines) + 1
        for number in range(1, first_header):
            if pattern.match(self.lines[number - 1]):
                return number
        return None
