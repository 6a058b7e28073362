"""`advisor model import CONFIG`: a Hugging Face config.json -> a catalog [[model]] overlay file."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path

from advisor.errors import ExitCode, UsageError

DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def register(subparsers) -> None:
    parser = subparsers.add_parser("model", help="add a model to your catalog (import a Hugging Face config.json)",
                                   description="Models in your own catalog overlay folder.")
    sub = parser.add_subparsers(dest="model_command", metavar="SUBCOMMAND", parser_class=type(parser))
    p = sub.add_parser(
        "import", help="turn a Hugging Face config.json into a catalog model entry",
        description=(
            "Map a Hugging Face config.json (DeepSeek V3/V3.2/V4, Kimi K2, Qwen3/Qwen3-MoE/Qwen3.5/Qwen3-Next, GLM-4.x MoE, "
            "GLM-5, MiniMax-M2, Llama, Mixtral, gpt-oss) to a [[model]] entry and write it as an overlay TOML file. "
            "By default the file goes to your overlay folder, which every command loads; prints the path written."),
    )
    p.add_argument("config", help="path to config.json (or to a folder holding one)")
    p.add_argument("--id", dest="ident", help="catalog id (default: from the folder or file name)")
    p.add_argument("--name", help="display name (default: the id)")
    p.add_argument("--out", help="write here instead of the overlay folder ('-' = print the TOML to stdout)")
    p.add_argument("--source", action="append", default=[], help="extra source to record (model card URL, ...); repeatable")
    p.add_argument("--release-date", help="YYYY-MM or YYYY-MM-DD (default: today, listed as estimated)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=run_import)

    def no_subcommand(args) -> int:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE

    parser.set_defaults(func=no_subcommand)


def _read_config(arg: str) -> tuple[dict, Path]:
    import json

    path = Path(arg).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise UsageError(f"no config file at {arg!r}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a config.json holds one JSON object")
    return data, path


def render_toml(entry: dict, *, origin: str) -> str:
    import tomli_w

    body = tomli_w.dumps({"model": [{k: v for k, v in entry.items() if v is not None}]}, multiline_strings=False)
    return f"# Written by `advisor model import` from {origin}.\n# Edit freely; `advisor catalog validate` checks it.\n\n{body}"


def run_import(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from advisor import locations
    from advisor.catalog import sources
    from advisor.catalog.hf_config import model_entry, suggest_id
    from advisor.domain import LLM
    from advisor.domain.base import ID_PATTERN, normalise_id

    config, path = _read_config(args.config)
    ident = normalise_id(args.ident) if args.ident else suggest_id(path.parent.name if path.name == "config.json" else path.stem)
    if not re.match(ID_PATTERN, ident):
        raise UsageError(f"--id {args.ident!r} is not a catalog id (lower case letters, digits, '_' and '.')")
    if args.release_date and not DATE_RE.match(args.release_date):
        raise UsageError(f"--release-date {args.release_date!r} is not YYYY-MM or YYYY-MM-DD")
    origin = str(path.resolve())
    entry = model_entry(
        config, ident=ident, name=args.name, sources=[origin, *args.source],
        release_date=args.release_date or date.today().isoformat(), as_of=date.today().isoformat(),
    )
    if not args.release_date:
        entry["estimated"] = list(dict.fromkeys([*entry["estimated"], "release_date"]))
    try:
        LLM.model_validate(entry)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'model'}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"the imported entry does not validate: {details}") from None
    text = render_toml(entry, origin=origin)
    if args.out == "-":
        sys.stdout.write(text)
        return ExitCode.OK
    target = Path(args.out).expanduser() if args.out else sources.user_overlay_dir() / f"{ident}.toml"
    try:
        locations.write_atomic(target, text, overwrite=args.force)
    except FileExistsError:
        raise UsageError(f"{target} exists; pass --force to replace it") from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc}") from None
    print(str(target))
    print(f"advisor: imported {ident}: {entry['total_params_b']:g}B total, {entry['active_params_b']:g}B active, "
          f"{entry['layers']} layers, attention {entry['attention']}", file=sys.stderr)
    return ExitCode.OK
