"""User key remaps: the `[keymap]` table of `user_config_dir()/config.toml` (binding id -> key).

    [keymap]
    compare = "ctrl+k"       # F4 -> ctrl+k
    detail = "f2,ctrl+w"     # several keys: comma-separated

Applied with App.set_keymap (posting's scheme). Reading never raises: every problem (bad TOML, an
unknown binding id, a value that is not a key string) is returned as a sentence for the app to
notify, and the good entries still apply.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from textual.binding import Binding

from advisor.errors import did_you_mean

CONFIG_FILE = "config.toml"
_KEY = re.compile(r"^[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*$")


def config_path() -> Path:
    from advisor.locations import user_config_dir

    return user_config_dir() / CONFIG_FILE


def binding_ids(bindings: Iterable[Binding | tuple]) -> set[str]:
    return {b.id for b in bindings if isinstance(b, Binding) and b.id}


def load_keymap(path: Path, known_ids: set[str]) -> tuple[dict[str, str], list[str]]:
    """(keymap, problems) from the config file; a missing file is an empty keymap."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except OSError as exc:
        return {}, [f"{path}: cannot read it ({exc.strerror or exc})"]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"{path}: not valid TOML: {exc}"]
    table = doc.get("keymap", {})
    if not isinstance(table, dict):
        return {}, [f"{path}: [keymap] must be a table of binding id = \"key\""]
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for ident, key in table.items():
        if ident not in known_ids:
            hint = did_you_mean(ident, sorted(known_ids))
            problems.append(f"{path}: keymap.{ident}: no binding has this id.{hint} Ids are listed in F1 help.")
            continue
        if not isinstance(key, str) or not _KEY.match(key.replace(" ", "").lower()):
            problems.append(f"{path}: keymap.{ident}: {key!r} is not a key (e.g. \"ctrl+k\", \"f6\", \"x\")")
            continue
        keymap[ident] = key.replace(" ", "").lower()
    return keymap, problems
