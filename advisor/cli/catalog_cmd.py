"""`advisor catalog list|show|validate|schema`: look into the catalog, check overlay files."""

from __future__ import annotations

import argparse
import sys

from advisor.cli.common import add_catalog_args, emit, load_catalog_from_args
from advisor.errors import ExitCode, UsageError
from advisor.report.columns import CATALOG_COLUMNS
from advisor.report.format import dumps

KIND_NAMES = tuple(CATALOG_COLUMNS)


def register(subparsers) -> None:
    parser = subparsers.add_parser("catalog", help="list, show, validate the catalog; print its JSON Schema",
                                   description="Look into the catalog and check catalog files.")
    sub = parser.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND", parser_class=type(parser))

    p = sub.add_parser("list", help="list catalog entries (all kinds, or one)")
    p.add_argument("--kind", choices=KIND_NAMES, help="only this kind of entry")
    p.add_argument("--vendor", help="only entries from this vendor (model developer for models)")
    p.add_argument("--json", action="store_true", help="JSON on stdout instead of a table")
    add_catalog_args(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="every field of one entry, with sources and layer")
    p.add_argument("id", metavar="ID", help="an id or alias of any kind of entry (or 'defaults')")
    p.add_argument("--kind", choices=KIND_NAMES, help="look only in this kind")
    p.add_argument("--json", action="store_true", help="JSON on stdout instead of a table")
    add_catalog_args(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("validate", help="check catalog files or folders (each as an overlay on the built-in catalog)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .toml file, a folder of them, or an https URL")
    p.add_argument("--strict", action="store_true", help="lint warnings are errors (not on calibrate = false benchmarks)")
    p.add_argument("--allow-http", action="store_true", help="allow plain-http catalog URLs")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="JSON Schema of a catalog file, or of one kind of entry")
    p.add_argument("kind", nargs="?", metavar="KIND",
                   help=f"one of {', '.join(KIND_NAMES)}, defaults (singular table names work too)")
    p.set_defaults(func=cmd_schema)

    register_remote(sub)  # pull | sources | drop: see "remote catalogs" at the end of this file

    def no_subcommand(args) -> int:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE

    parser.set_defaults(func=no_subcommand)


# helpers -------------------------------------------------------------------------------------------

def _vendor_of(catalog, kind: str, entry) -> str:
    if kind in ("accelerators", "ecosystems"):
        return entry.vendor
    if kind == "models":
        return entry.developer
    accelerator = entry.accelerator
    if kind == "prices" and entry.system:
        system = catalog.systems.get(entry.system)
        accelerator = system.accelerator if system else None
    acc = catalog.accelerators.get(accelerator) if accelerator else None
    return acc.vendor if acc else ""


def _entries(catalog, kind: str, vendor: str | None) -> list:
    entries = list(catalog.entries[kind].values())
    if vendor:
        want = vendor.lower()
        entries = [e for e in entries if _vendor_of(catalog, kind, e).lower() == want]
    return entries


def _as_json(catalog, kind: str, entry) -> dict:
    return {**entry.model_dump(mode="json"), "layer": catalog.source_of(kind, entry.id)}


# subcommands ---------------------------------------------------------------------------------------

def cmd_list(args: argparse.Namespace) -> int:
    catalog = load_catalog_from_args(args)
    kinds = [args.kind] if args.kind else list(KIND_NAMES)
    if args.json:
        data = {kind: [_as_json(catalog, kind, e) for e in _entries(catalog, kind, args.vendor)] for kind in kinds}
        emit(dumps(data[args.kind] if args.kind else data))
        return ExitCode.OK
    from advisor.report.columns import ESTIMATED_MARK, catalog_row
    from advisor.report.table import render_table

    parts = []
    for kind in kinds:
        columns = CATALOG_COLUMNS[kind]
        rows = [catalog_row(catalog, kind, e) for e in _entries(catalog, kind, args.vendor)]
        marked = any(cell.endswith(ESTIMATED_MARK) for row in rows for cell in row)
        parts.append(render_table(
            [c.header for c in columns], rows, title=f"{kind} ({len(rows)})",
            caption=f"{ESTIMATED_MARK} estimated" if marked else None, numeric=[c.numeric for c in columns],
        ))
    emit("\n".join(parts))
    return ExitCode.OK


def _find(catalog, ident: str, kind: str | None):
    from advisor.domain.catalog import LookupError_

    try:
        if kind:
            return kind, catalog.get(kind, ident)
        return catalog.find(ident)
    except LookupError_ as exc:
        raise UsageError(str(exc).replace("no entry with", "no catalog entry with")) from None


def cmd_show(args: argparse.Namespace) -> int:
    from advisor.report.format import text

    catalog = load_catalog_from_args(args)
    if args.id in ("defaults", catalog.defaults.id) and not args.kind:
        kind, entry, layer = "defaults", catalog.defaults, "merged over all layers"
    else:
        kind, entry = _find(catalog, args.id, args.kind)
        layer = catalog.source_of(kind, entry.id)
    if args.json:
        emit(dumps({**entry.model_dump(mode="json"), "catalog_kind": kind, "layer": layer}))
        return ExitCode.OK
    skip = {"sources", "estimated"}
    names = [name for name in type(entry).model_fields if name not in skip]
    width = max(map(len, names))
    title = kind[:-1] if kind != "defaults" else kind
    lines = [f"{title} {entry.id}"]
    for name in names:
        note = "  (estimated)" if entry.is_estimated(name) else ""
        lines.append(f"  {name:<{width}}  {text(getattr(entry, name))}{note}".rstrip())
    lines.append("sources:")
    lines += [f"  - {s}" for s in entry.sources]
    lines.append(f"layer: {layer}")
    emit("\n".join(lines))
    return ExitCode.OK


def cmd_validate(args: argparse.Namespace) -> int:
    from advisor.catalog import validate_paths
    from advisor.catalog.problem_list import capped_lines
    from advisor.cli.messages import error, warn

    problems = validate_paths(args.paths, strict=args.strict, allow_http=args.allow_http)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for line in capped_lines([p.format() for p in errors], what="error"):
        error(line)
    for line in capped_lines([p.format().removeprefix("warning: ") for p in warnings], what="warning"):
        warn(line)
    n_paths = len(args.paths)
    counts = f"{len(errors)} error{'s' * (len(errors) != 1)}, {len(warnings)} warning{'s' * (len(warnings) != 1)}"
    if errors:
        error(f"{counts} in {n_paths} path{'s' * (n_paths != 1)}")
        return ExitCode.USAGE
    print(f"advisor: {n_paths} path{'s' * (n_paths != 1)} valid ({counts})", file=sys.stderr)
    return ExitCode.OK


def cmd_schema(args: argparse.Namespace) -> int:
    from advisor.catalog.schema import file_schema, kind_schema

    if args.kind:
        try:
            schema = kind_schema(args.kind)
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
    else:
        schema = file_schema()
    emit(dumps(schema))
    return ExitCode.OK


# remote catalogs: pull | sources | drop ------------------------------------------------------------
# Self-contained: the cache and the network live in advisor.catalog.cache / .remote (imported lazily;
# httpx costs start-up time and only these commands and `--catalog URL` need it).

def register_remote(sub) -> None:
    p = sub.add_parser("pull", help="fetch a catalog from an https URL, validate it, and cache it",
                       description="Fetch a catalog TOML over https, validate it completely (as an overlay on "
                                   "the built-in catalog), and only then cache it. Pulling again revalidates "
                                   "(ETag / Last-Modified). A failed pull leaves the cached copy unchanged.")
    p.add_argument("url", metavar="URL", help="https URL of a catalog .toml (http only for loopback or --allow-http)")
    p.add_argument("--name", help="name to cache it under (default: from the URL)")
    p.add_argument("--sha256", metavar="HEX", help="refuse the body unless its sha256 is this")
    p.add_argument("--allow-http", action="store_true", help="allow a plain-http URL (not only loopback)")
    p.add_argument("--connect-timeout", type=float, default=None, metavar="S", help="seconds to connect (default 5)")
    p.add_argument("--read-timeout", type=float, default=None, metavar="S",
                   help="seconds to wait for each read (default 10)")
    p.add_argument("--deadline", type=float, default=None, metavar="S",
                   help="seconds for the whole download, redirects included (default 60)")
    p.add_argument("--max-bytes", type=int, default=None, metavar="N", help="largest body accepted (default 10000000)")
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser("sources", help="list cached remote catalogs: age, sha256, size, URL")
    p.add_argument("--json", action="store_true", help="JSON on stdout instead of a table")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("drop", help="remove one cached remote catalog")
    p.add_argument("name", metavar="NAME", help="its name, as `advisor catalog sources` lists it")
    p.set_defaults(func=cmd_drop)


def _limits(args: argparse.Namespace):
    from advisor.catalog.remote import Limits

    given = {
        "connect_timeout_s": args.connect_timeout, "read_timeout_s": args.read_timeout,
        "deadline_s": args.deadline, "max_bytes": args.max_bytes,
    }
    return Limits(**{k: v for k, v in given.items() if v is not None})


def cmd_pull(args: argparse.Namespace) -> int:
    from advisor.catalog.cache import size_words
    from advisor.catalog.load import pull
    from advisor.cli.messages import warn

    outcome = pull(args.url, name=args.name, sha256=args.sha256, allow_http=args.allow_http, limits=_limits(args))
    for message in outcome.warnings:
        warn(message)
    meta = outcome.meta
    what = {"new": "pulled", "updated": "updated", "unchanged": "up to date"}.get(outcome.status, outcome.status)
    print(f"advisor: {outcome.name}: {what} ({size_words(meta.get('size'))}, sha256 {str(meta.get('sha256'))[:12]}) "
          f"from {meta.get('url')}", file=sys.stderr)
    return ExitCode.OK


def cmd_sources(args: argparse.Namespace) -> int:
    from advisor.catalog import cache

    rows: list[dict] = []
    for c in cache.entries():
        m = c.meta
        rows.append({
            "name": c.name, "url": m.get("url"), "state": c.state, "detail": c.detail or None,
            "sha256": m.get("sha256"), "size": m.get("size"), "etag": m.get("etag"),
            "last_modified": m.get("last_modified"), "fetched_at": m.get("fetched_at"),
            "checked_at": m.get("checked_at"), "path": str(c.path),
        })
    if args.json:
        emit(dumps(rows))
        return ExitCode.OK
    if not rows:
        print(f"advisor: no cached remote catalogs (in {cache.cache_dir()})", file=sys.stderr)
        return ExitCode.OK
    from advisor.report.table import render_table

    table = [
        [r["name"], cache.age_words(r["fetched_at"]), cache.age_words(r["checked_at"]),
         (r["sha256"] or "")[:12], cache.size_words(r["size"]), r["state"], r["url"] or ""]
        for r in rows
    ]
    emit(render_table(["name", "fetched", "checked", "sha256", "size", "state", "url"], table,
                      title=f"cached remote catalogs ({len(rows)})", numeric=[False, False, False, False, True, False, False]))
    return ExitCode.OK


def cmd_drop(args: argparse.Namespace) -> int:
    from advisor.catalog import cache
    from advisor.errors import did_you_mean, echo

    known = cache.names()
    if args.name not in known:
        hint = did_you_mean(args.name, known)
        listed = "" if hint else (f" Cached: {', '.join(known)}." if known else " Nothing is cached.")
        raise UsageError(f"no cached remote catalog named {echo(args.name)}.{hint}{listed}")
    cache.drop(args.name)
    print(f"advisor: dropped {args.name}", file=sys.stderr)
    return ExitCode.OK
