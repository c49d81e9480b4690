"""The `conformance` command.

Exit codes: 0 every MUST check passed; 1 a MUST check failed; 2 usage or configuration error;
3 a provider was unreachable.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._version import __version__

__all__ = ["main"]

EXIT_OK, EXIT_MUST_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
DEFAULT_REPEAT = 3  # model behaviour is judged over a few tries, not one coin flip; still cheap


class UsageError(Exception):
    """A bad command line or configuration: printed as one line, exit code 2."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the suite (default: against the embedded reference provider)")
    add_target_options(run)
    run.add_argument("--out", type=Path, help="report directory (default: reports/<UTC timestamp>)")
    run.add_argument("--format", choices=("text", "json"), default="text", help="what to print at the end")

    lst = sub.add_parser("list", help="print the invariant catalogue")
    lst.add_argument("--format", choices=("text", "json"), default="text")
    lst.add_argument("--group", action="append", default=[], help="only this group (repeatable)")

    scen = sub.add_parser("scenarios", help="print the request scenarios and the invariants each one feeds")
    scen.add_argument("--profile", default="canonical")
    scen.add_argument("--format", choices=("text", "json"), default="text")

    show = sub.add_parser("show", help="print one invariant with its sources")
    show.add_argument("id")

    serve = sub.add_parser("serve", help="start the embedded reference provider on 127.0.0.1")
    serve.add_argument("--profile", default="canonical")
    serve.add_argument("--fault", default=None, help="a fault name (see --list-faults)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--api-key-env", default=None, help="require the key held by this environment variable")
    serve.add_argument("--ttft", type=float, default=0.0, help="seconds before the first token")
    serve.add_argument("--token-gap", type=float, default=0.0, help="seconds between tokens")
    serve.add_argument("--list-faults", action="store_true", help="print the fault catalogue and exit")

    specs = sub.add_parser("specs", help="normalized OpenAPI documents")
    specs_sub = specs.add_subparsers(dest="specs_command", required=True)
    norm = specs_sub.add_parser("normalize", help="regenerate specs/normalized from specs/sources")
    norm.add_argument("--check", action="store_true", help="only report drift; exit 1 when stale")

    compare = sub.add_parser("compare", help="merge several results.json files into one comparison")
    compare.add_argument("results", nargs="+", type=Path)
    compare.add_argument("--out", type=Path, help="write the merged comparison JSON here")

    replay = sub.add_parser("replay", help="re-judge the captures of a previous run offline")
    replay.add_argument("run_dir", type=Path, help="a directory holding results.json and captures/")
    replay.add_argument("--out", type=Path, help="write a new results.json here (default: print a summary)")
    return parser


def add_target_options(p: argparse.ArgumentParser) -> None:
    """Options that choose providers and shape a run (shared with the pytest plugin's help)."""
    p.add_argument("--provider", action="append", default=[], help="a provider from the providers file (repeatable)")
    p.add_argument("--all", action="store_true", help="every provider in the providers file")
    p.add_argument("--providers-file", type=Path, default=None, help="default: ./providers.yaml")
    p.add_argument("--base-url", help="an ad-hoc provider: its base URL (the profile's path is appended)")
    p.add_argument("--model", help="ad-hoc provider: the model id")
    p.add_argument("--profile", default=None, help="ad-hoc provider: the dialect profile (default canonical)")
    p.add_argument("--api-key-env", default=None, help="ad-hoc provider: the environment variable holding the key")
    p.add_argument("--only", action="append", default=[], help="only this invariant id or group (repeatable)")
    p.add_argument("--skip", action="append", default=[], help="skip this invariant id or group (repeatable)")
    p.add_argument(
        "--repeat",
        type=int,
        default=DEFAULT_REPEAT,
        help=f"tries for model-behaviour scenarios, reported as pass@k and pass^k (default {DEFAULT_REPEAT})",
    )
    p.add_argument(
        "--min-pass-rate",
        type=float,
        default=1.0,
        help="share of tries a model-behaviour check must pass (default 1.0: every try, pass^k)",
    )
    p.add_argument("--budget-tokens", type=int, default=None, help="stop sending once this many tokens are spent")
    p.add_argument("--seed", type=int, default=0, help="seed for schema-generated cases")
    p.add_argument("--cases", type=int, default=6, help="schema-generated cases per kind (0 disables)")
    p.add_argument("--quick", action="store_true", help="a smoke subset for CI")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        handler = {
            "run": _cmd_run,
            "list": _cmd_list,
            "show": _cmd_show,
            "scenarios": _cmd_scenarios,
            "serve": _cmd_serve,
            "specs": _cmd_specs,
            "compare": _cmd_compare,
            "replay": _cmd_replay,
        }[args.command]
        return handler(args)
    except UsageError as exc:
        _err(f"conformance: error: {exc}")
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        _err("conformance: interrupted")
        return EXIT_INTERRUPTED


# -- run -------------------------------------------------------------------------------------------


def resolve_targets(args: argparse.Namespace) -> tuple[list[Any], Any]:
    """Providers chosen by the options, plus a reference server to stop afterwards (or None)."""
    from .providers import load_profile
    from .providers._config import ConfigError, ProviderConfig, load_providers_file
    from .providers._profile import ProfileError

    if args.repeat < 1 or args.cases < 0 or (args.budget_tokens is not None and args.budget_tokens <= 0):
        raise UsageError("--repeat must be >= 1, --cases >= 0 and --budget-tokens > 0")
    if not 0.0 < args.min_pass_rate <= 1.0:
        raise UsageError("--min-pass-rate must be in (0, 1]")
    if args.base_url:
        if args.provider or args.all:
            raise UsageError("--base-url cannot be combined with --provider/--all")
        if not args.model:
            raise UsageError("--base-url needs --model")
        profile = args.profile or "canonical"
        try:
            load_profile(profile)
        except ProfileError as exc:
            raise UsageError(str(exc)) from None
        if args.api_key_env and args.api_key_env not in os.environ:
            raise UsageError(f"environment variable {args.api_key_env} is not set")
        return [
            ProviderConfig(
                name="adhoc",
                base_url=args.base_url.rstrip("/"),
                profile=profile,
                api_key_env=args.api_key_env,
                models={"chat": args.model},
            )
        ], None
    if args.provider or args.all:
        path = args.providers_file or Path("providers.yaml")
        try:
            configs = load_providers_file(path)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        if args.all:
            return configs, None
        names = {c.name: c for c in configs}
        missing = [n for n in args.provider if n not in names]
        if missing:
            raise UsageError(f"{path}: no provider named {', '.join(missing)} (known: {', '.join(names)})")
        return [names[n] for n in dict.fromkeys(args.provider)], None
    # No provider configured: the embedded reference provider, started in-process.
    from .reference import ReferenceServer

    key = "sk-ref-" + secrets.token_hex(8)
    server = ReferenceServer(profile=args.profile or "canonical", api_key=key)
    server.start()
    os.environ["CONFORMANCE_REFERENCE_KEY"] = key
    cfg = ProviderConfig(
        name="reference",
        base_url=server.url_for(profile=args.profile or "canonical"),
        profile=args.profile or "canonical",
        api_key_env="CONFORMANCE_REFERENCE_KEY",
    )
    return [cfg], server


def run_options(args: argparse.Namespace, out_dir: Path | None, progress: Any = None) -> Any:
    from .engine import RunOptions

    return RunOptions(
        out_dir=out_dir,
        only=tuple(args.only),
        skip=tuple(args.skip),
        repeat=args.repeat,
        min_pass_rate=args.min_pass_rate,
        seed=args.seed,
        quick=args.quick,
        cases=args.cases,
        budget_tokens=args.budget_tokens,
        progress=progress,
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from .engine import run_suite, select_invariants

    try:
        select_invariants(args.only, args.skip)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    targets, server = resolve_targets(args)
    out_dir = args.out or Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    display = _Progress([t.name for t in targets])
    try:
        with display:
            result = run_suite(targets, run_options(args, out_dir, display.update))
    finally:
        if server is not None:
            server.stop()
    if args.format == "json":
        _out(json.dumps(result.to_json(), indent=2))
    else:
        _print_summary(result, out_dir)
    if result.options.get("interrupted"):
        _err("conformance: interrupted; results so far written, unsent scenarios reported as errors")
        return EXIT_INTERRUPTED
    return int(result.exit_code())


def _print_summary(result: Any, out_dir: Path) -> None:
    for p in result.providers:
        s = p.summary()
        state = "UNREACHABLE" if p.unreachable else ("FAIL" if s["must_failed"] else "PASS")
        _out(
            f"{p.name} ({p.profile}, {p.model}): {state}  pass {s['pass']}  fail {s['fail']}  skip {s['skip']}  "
            f"error {s['error']}  MUST failed {s['must_failed']}  expected {s['expected_failures']}  "
            f"| requests {p.requests}, tokens {p.prompt_tokens}+{p.completion_tokens}"
        )
        for c in p.checks:
            if c.status in ("fail", "error") and c.severity != "INFO" and not c.expected_failure:
                _out(f"  {c.status.upper():5} {c.severity:6} {c.id:12} {c.scenario}: {c.message[:300]}")
        expected = sorted({c.id for c in p.checks if c.expected_failure})
        if expected:
            _out(f"  expected failures documented by the profile: {', '.join(expected)}")
        for note in p.notes[:5]:
            _out(f"  note: {note}")
    _out(f"results: {out_dir / 'results.json'}")


class _Progress:
    """Live per-provider progress on a terminal (rich); plain lines when not a TTY or when CI=true."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.live = sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("true", "1")
        self._lock = threading.Lock()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._last_plain: dict[str, int] = {}

    def __enter__(self) -> _Progress:
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                transient=False,
            )
            self._progress.start()
            for n in self.names:
                self._tasks[n] = self._progress.add_task(n, total=None, detail="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, name: str, event: dict[str, Any]) -> None:
        detail = f"MUST failed {event['must_failed']}  requests {event['requests']}  tokens {event['tokens']}"
        with self._lock:
            if self._progress is not None:
                self._progress.update(
                    self._tasks[name], completed=event["checks_done"], total=event["checks_total"], detail=detail
                )
                return
            pct = event["checks_done"] * 10 // max(1, event["checks_total"])
            if self._last_plain.get(name) != pct:
                self._last_plain[name] = pct
                _err(f"[{name}] checks {event['checks_done']}/{event['checks_total']}  {detail}")


# -- catalogue -------------------------------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    from .engine import load_all_invariants
    from .invariants import GROUPS, catalogue_entry, registry

    load_all_invariants()
    unknown = [g for g in args.group if g not in GROUPS]
    if unknown:
        raise UsageError(f"unknown group {', '.join(unknown)}; known: {', '.join(GROUPS)}")
    items = [inv for inv in registry if not args.group or inv.group in args.group]
    if args.format == "json":
        _out(json.dumps([catalogue_entry(inv) for inv in items], indent=2))
        return EXIT_OK
    for inv in items:
        _out(f"{inv.id:12} {inv.severity!s:6} {inv.group:12} {inv.rule}")
    _out(f"{len(items)} invariants")
    return EXIT_OK


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from .engine import select_invariants
    from .providers import ProfileError, load_profile
    from .scenarios import SCENARIOS

    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    invariants = select_invariants()
    rows: list[dict[str, Any]] = []
    for sc in SCENARIOS:
        body = sc.build(profile).body or {}
        rows.append(
            {
                "id": sc.id,
                "description": sc.description,
                "mode": str(sc.mode),
                "expect": str(sc.expect_for(profile)),
                "features": sorted(sc.features),
                "max_tokens": body.get("max_tokens"),
                "skipped": sc.skip_reason(profile),
                "feeds": [inv.id for inv in invariants if sc.feeds(inv, profile)],
            }
        )
    if args.format == "json":
        _out(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        state = f"skipped: {row['skipped']}" if row["skipped"] else f"feeds {len(row['feeds'])} invariants"
        _out(f"{row['id']:32} {row['mode']:9} {row['expect']:7} {state}")
        _out(f"    {row['description']}; features: {', '.join(row['features']) or '-'}")
        if not row["skipped"]:
            _out(f"    {' '.join(row['feeds'])}")
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from .engine import load_all_invariants
    from .invariants import SOURCE_DOCS, registry

    load_all_invariants()
    if args.id not in registry:
        raise UsageError(f"no invariant {args.id!r}; see `conformance list`")
    inv = registry[args.id]
    _out(f"{inv.id}  {inv.severity}  ({inv.group})")
    _out(inv.rule)
    if inv.doc:
        _out("")
        _out(inv.doc)
    _out("")
    _out(
        f"Applies to: modes {', '.join(sorted(map(str, inv.modes)))}; expects {inv.expect}"
        + (f"; needs {', '.join(sorted(inv.requires))}" if inv.requires else "")
        + (f"; profiles {', '.join(sorted(inv.profiles))}" if inv.profiles else "")
        + ("; judged over repetitions" if inv.stochastic else "")
    )
    _out("Sources:")
    for src in inv.sources:
        _out(f"  - {src.doc}: {src.locator}  [{SOURCE_DOCS[src.doc]}]")
        if src.quote:
            _out(f'      "{src.quote}"')
    return EXIT_OK


# -- serve / specs ---------------------------------------------------------------------------------


def _cmd_serve(args: argparse.Namespace) -> int:
    from .reference import FAULTS, Timing, serve

    if args.list_faults:
        for fault in FAULTS.values():
            _out(f"{fault.name:28} {', '.join(fault.catches):40} {fault.description}")
        return EXIT_OK
    if args.fault and args.fault not in FAULTS:
        raise UsageError(f"unknown fault {args.fault!r}; see `conformance serve --list-faults`")
    key = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            raise UsageError(f"environment variable {args.api_key_env} is not set")
    serve(
        profile=args.profile,
        fault=args.fault,
        port=args.port,
        api_key=key,
        timing=Timing(ttft_s=args.ttft, token_gap_s=args.token_gap),
    )
    return EXIT_OK


def _cmd_specs(args: argparse.Namespace) -> int:
    from .specs import main_normalize

    return int(main_normalize(["--check"] if args.check else []))


# -- compare / replay ------------------------------------------------------------------------------


def _cmd_compare(args: argparse.Namespace) -> int:
    from .report import compare_results

    try:
        merged = compare_results(args.results)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if args.out:
        from .engine import write_json_atomic

        write_json_atomic(args.out, merged)
    _out(merged["table"])
    return EXIT_OK


def _cmd_replay(args: argparse.Namespace) -> int:
    from .report import replay_run

    try:
        result = replay_run(args.run_dir)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if args.out:
        from .engine import write_json_atomic

        write_json_atomic(args.out / "results.json", result.to_json())
    _print_summary(result, args.out or args.run_dir)
    return int(result.exit_code())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
