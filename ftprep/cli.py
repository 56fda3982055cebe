"""The ``ftprep`` command line: click only — parse, build a config, call the library, render.

Every command is a thin shell over a function of the Python API. Heavy modules
(pandas, great-expectations, the openai SDK) are imported inside commands, so
``ftprep --help`` stays fast.

Exit codes: 0 ok, 1 the data failed (a check, the leak check, a refused upload),
2 usage or I/O error, 3 config or key error, 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from . import __version__
from .errors import EXIT_INTERNAL, FtprepError

# Commands that live in other modules, loaded only when called: name -> (module, attr, help).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "upload": ("ftprep.upload_cli", "upload", "Verify an output directory and upload it (Azure OpenAI / OpenAI)."),
    "jobs": ("ftprep.upload_cli", "jobs", "Fine-tuning job status and events."),
    "convert": ("ftprep.ingest_cli", "convert", "Convert a table, log or dataset into JSONL via a template."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attr, _ = LAZY_COMMANDS[cmd_name]
            try:
                cmd = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                return None
            self.add_command(cmd, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS and name not in self.commands:
                rows.append((name, LAZY_COMMANDS[name][2]))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=80)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print a JSON object on stdout.")(f)


def model_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--model", envvar="FTPREP_MODEL", default=None,
                        help="Target base model (default gpt-4o-mini). Fine-tuned names map to their base.")(f)


def _load_key(key_file: str | None, required: bool, strict: bool = False) -> bytes | None:
    from .errors import KeyError_
    from .pseudonymize import key_file_warnings, load_key

    if key_file is None and "FTPREP_KEY" not in os.environ and not required:
        return None
    if key_file is not None:
        for warning in key_file_warnings(key_file):
            if strict:
                raise KeyError_(f"{warning} (refused: --strict)")
            click.echo(f"ftprep: warning: {warning}", err=True)
    key: bytes = load_key(key_file)
    return key


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ftprep")
def cli() -> None:
    """Prepare pseudonymized, validated fine-tuning files for Azure OpenAI and OpenAI.

    Quick start:  ftprep keygen ftprep.key && ftprep prepare sample_data/*.jsonl -o out --key-file ftprep.key
    """


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Output directory (train.jsonl, validation.jsonl, rejected.jsonl, report.html, manifest.json).")
@click.option("--target", type=click.Choice(["azure", "openai"]), default=None, envvar="FTPREP_TARGET",
              help="Service the files are for (default azure).")
@model_option
@click.option("--validation-fraction", type=float, default=None, help="Share of examples for validation (default 0.1).")
@click.option("--seed", type=int, default=None, help="Seed of the train/validation split (default 0).")
@click.option("--key-file", type=click.Path(dir_okay=False), envvar="FTPREP_KEY_FILE", default=None,
              help="Pseudonymization key file (else the FTPREP_KEY environment variable).")
@click.option("--no-pseudonymize", is_flag=True, help="Skip pseudonymization (recorded in the manifest; upload refuses).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file (default ./ftprep.toml or [tool.ftprep] in ./pyproject.toml).")
@click.option("--suite", type=click.Path(dir_okay=False), default=None, help="A great-expectations suite (JSON) to run too.")
@click.option("--suite-mode", type=click.Choice(["merge", "replace"]), default=None,
              help="Merge the --suite with the default suite, or replace it.")
@click.option("--gx-data-docs", type=click.Path(file_okay=False), default=None,
              help="Also build great-expectations Data Docs into DIR (they load assets from public CDNs).")
@click.option("--vault", type=click.Path(dir_okay=False), default=None,
              help="Record fake -> original in this encrypted vault (outside -o) for `ftprep reidentify`.")
@click.option("--show-mapping", type=int, default=0, metavar="N",
              help="Print N sample original -> fake pairs to the terminal (never to a file or pipe).")
@click.option("--n-epochs", type=int, default=None, help="Epochs for the cost estimate (default: the service heuristic).")
@click.option("--price-per-million", type=float, default=None, help="Training price per 1M tokens for the estimate.")
@click.option("--bom", is_flag=True, default=None, help="Write a UTF-8 BOM at the start of train/validation files.")
@click.option("--workers", type=int, default=None, envvar="FTPREP_WORKERS",
              help="Worker processes (default: one per core; output is identical for any number).")
@click.option("--engine", type=click.Choice(["local", "spark"]), default=None, envvar="FTPREP_ENGINE",
              help="Where the row-level work runs: local processes (default) or Spark (ftprep[spark]).")
@click.option("--spark-master", default=None, envvar="FTPREP_SPARK_MASTER",
              help="Spark master for --engine spark, e.g. local[2] (default: the active session).")
@click.option("--template", type=click.Path(dir_okay=False), default=None,
              help="Build examples from tables/logs/datasets with this template (see `ftprep convert`).")
@click.option("--sheet", default=None, help="Excel sheet (with --template; default the first).")
@click.option("--record-start", default=None, help="Regex that starts a multi-line log record (with --template).")
@click.option("--force", is_flag=True, help="Replace the ftprep outputs in a non-empty output directory.")
@click.option("--strict", is_flag=True,
              help="Refuse (instead of warning about) a key file readable by group or others.")
@json_option
def prepare(inputs: Sequence[str], outdir: str, target: str | None, model: str | None,
            validation_fraction: float | None, seed: int | None, key_file: str | None,
            no_pseudonymize: bool, config_path: str | None, suite: str | None, suite_mode: str | None,
            gx_data_docs: str | None, vault: str | None, show_mapping: int,
            n_epochs: int | None, price_per_million: float | None, bom: bool | None,
            workers: int | None, engine: str | None, spark_master: str | None,
            template: str | None, sheet: str | None,
            record_start: str | None, force: bool, strict: bool, as_json: bool) -> None:
    """Run every stage: load, validate, pseudonymize, count tokens, check, split, emit."""
    from .config import load_config
    from .pipeline import prepare as run_prepare

    config, source = load_config(config_path)
    config = config.with_overrides(
        target=target, model=model, validation_fraction=validation_fraction, seed=seed,
        suite=suite, suite_mode=suite_mode, n_epochs=n_epochs, gx_data_docs=gx_data_docs, vault=vault,
        price_per_million=price_per_million, bom=bom or None, workers=workers,
        engine=engine, spark_master=spark_master, template=template, sheet=sheet, record_start=record_start,
        pseudonymize=False if no_pseudonymize else None,
    )
    key = None if not config.pseudonymize else _load_key(key_file, required=True, strict=strict)
    if gx_data_docs:
        from .checks import DATA_DOCS_WARNING

        click.echo(f"ftprep: warning: {DATA_DOCS_WARNING}", err=True)
    report = run_prepare(inputs, outdir, config, key, force=force, config_source=source)
    if as_json:
        emit_json(report.summary())
    else:
        click.echo(render_prepare(report.summary(), report.seconds))
    from .manifest import printable_name

    for warning in report.warnings:  # (a file name that is not UTF-8: its bytes as \xNN)
        click.echo(f"ftprep: warning: {printable_name(warning)}", err=True)
    if show_mapping > 0 and key is not None:
        _show_mapping(inputs, config, key, show_mapping)
    sys.exit(report.exit_code)


def _show_mapping(inputs: Sequence[str], config: Any, key: bytes, n: int) -> None:
    """Originals are shown only on an interactive terminal, and only when asked."""
    if not sys.stdout.isatty():
        click.echo("ftprep: --show-mapping prints only to a terminal; nothing shown", err=True)
        return
    from .api import sample_mapping

    click.echo(f"sample mapping (first {n} replacements; originals shown on this terminal only):")
    for etype, original, fake in sample_mapping(inputs, key, config, n):
        click.echo(f"  {etype:<18} {original} -> {fake}")


def render_prepare(s: dict[str, Any], seconds: float) -> str:
    c = s["counts"]
    t = s["tokens"]
    lines = [
        f"ftprep prepare: {s['verdict'].upper()} ({s['format']} data for {s['model']}, {seconds:.1f} s)",
        f"  input lines {c['input_lines']}: train {c['train']}, validation {c['validation']}, "
        f"rejected {c['rejected']} (accounted: {'yes' if c['accounted'] else 'NO'})",
    ]
    if c["rejected_by_reason"]:
        reasons = ", ".join(f"{k} {v}" for k, v in c["rejected_by_reason"].items())
        lines.append(f"  rejected by reason: {reasons}")
    tr = t["train"]
    lines.append(f"  tokens (train): total {tr['total']}, trained {tr['trained']}, "
                 f"p50 {tr['p50']}, p95 {tr['p95']}, max {tr['max']}")
    cost = t["cost"]
    price = (f", ~${cost['estimated_cost_usd']} at ${cost['price_per_million']}/1M (estimate)"
             if cost["estimated_cost_usd"] is not None else "")
    lines.append(f"  billed tokens ~{cost['billed_tokens']} over {cost['epochs']} epochs{price}")
    p = s["pseudonymization"]
    if p["enabled"]:
        ents = ", ".join(f"{k} {v['occurrences']}/{v['distinct']}" for k, v in p.get("entities", {}).items())
        leak = p.get("leak_check", {})
        lines.append(f"  pseudonymized (key {p['key_fingerprint']}): {ents or 'nothing detected'}")
        lines.append(f"  leak check: {'passed' if leak.get('passed') else 'FAILED'}")
    else:
        lines.append("  pseudonymization: OFF (upload will refuse these files)")
    ch = s["checks"]
    lines.append(f"  checks: {'passed' if ch['success'] else 'FAILED'}"
                 + (f" (failed: {', '.join(ch['failed'])})" if ch["failed"] else "")
                 + (f" (warnings: {', '.join(ch.get('warned', []))})" if ch.get("warned") else ""))
    lines.append(f"  wrote {', '.join(s['outputs'].values())} and manifest.json in {s['outdir']}")
    return "\n".join(lines)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@model_option
@click.option("--warnings/--no-warnings", "show_warnings", default=True, help="Also list warnings.")
@json_option
def validate(inputs: Sequence[str], model: str | None, show_warnings: bool, as_json: bool) -> None:
    """Check files against the service rules; list findings with file and line."""
    from .api import validate_files

    report = validate_files(inputs, model=model or "gpt-4o-mini")
    if as_json:
        emit_json(report.to_dict())
    else:
        for f in report.findings:
            if show_warnings or f.severity.value == "error":
                click.echo(str(f))
        click.echo(report.summary_line())
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@model_option
@click.option("--n-epochs", type=int, default=None, help="Epochs for the estimate (default: service heuristic).")
@json_option
def tokens(inputs: Sequence[str], model: str | None, n_epochs: int | None, as_json: bool) -> None:
    """Count tokens per example for a model: totals, trained tokens, limits, cost estimate."""
    from .api import count_tokens

    report = count_tokens(inputs, model=model or "gpt-4o-mini", n_epochs=n_epochs)
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(report.render())


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--exist-ok", is_flag=True, help="Keep an existing key file and exit 0 (it is never overwritten).")
def keygen(path: str, exist_ok: bool) -> None:
    """Write a new random pseudonymization key to PATH (mode 0600; never overwrites)."""
    from .pseudonymize import key_fingerprint, load_key, write_key_file

    if exist_ok and os.path.exists(path):
        click.echo(f"kept the existing key {path} (fingerprint {key_fingerprint(load_key(path))})")
        return
    write_key_file(path)
    click.echo(f"wrote a new key to {path} (fingerprint {key_fingerprint(load_key(path))}); "
               "keep it secret and backed up: the same key gives the same pseudonyms")


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@model_option
@click.option("--key-file", type=click.Path(dir_okay=False), envvar="FTPREP_KEY_FILE", default=None,
              help="Check pseudonymized data, as prepare does (else the raw data's counts and flags).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help="Config file.")
@click.option("--suite", type=click.Path(dir_okay=False), default=None, help="A great-expectations suite (JSON).")
@click.option("--suite-mode", type=click.Choice(["merge", "replace"]), default=None)
@json_option
def check(inputs: Sequence[str], model: str | None, key_file: str | None, config_path: str | None,
          suite: str | None, suite_mode: str | None, as_json: bool) -> None:
    """Run the data-quality checks alone (exit 1 when an error-severity check fails)."""
    from .api import check_files
    from .config import load_config

    config, _ = load_config(config_path)
    config = config.with_overrides(model=model, suite=suite, suite_mode=suite_mode)
    key = _load_key(key_file, required=False)
    report = check_files(inputs, config, key)
    if as_json:
        emit_json({"schema_version": 1, **report.to_dict()})
    else:
        for r in report.results:
            mark = "ok  " if r.success else ("FAIL" if r.severity == "error" else "warn")
            ids = f" e.g. {', '.join(r.example_ids[:3])}" if r.example_ids and not r.success else ""
            label = r.name or f"{r.expectation}{f' ({r.column})' if r.column else ''}"
            click.echo(f"{mark} [{r.severity}] {label}: observed {r.observed_value}{ids}"
                       + (f" - {r.description}" if r.description and not r.success else ""))
        click.echo(f"checks: {'passed' if report.success else 'FAILED'}")
    sys.exit(0 if report.success else 1)


@cli.command()
@click.argument("value")
@click.option("--type", "entity_type", default=None,
              help="Entity type (EMAIL, PHONE, GUID, PERSON, ...); default: detect it in VALUE.")
@click.option("--key-file", type=click.Path(dir_okay=False), envvar="FTPREP_KEY_FILE", default=None,
              help="Key file (else FTPREP_KEY).")
def lookup(value: str, entity_type: str | None, key_file: str | None) -> None:
    """Print the pseudonym VALUE gets under the key (no vault needed)."""
    from .pseudonymize import Pseudonymizer

    key = _load_key(key_file, required=True)
    assert key is not None
    pz = Pseudonymizer(key)
    if entity_type is None:
        click.echo(pz.transform_text(value).value)
        return
    try:
        click.echo(pz.lookup(entity_type, value))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--vault", "vault_path", required=True, type=click.Path(dir_okay=False),
              help="The vault written by `prepare --vault`.")
@click.option("--key-file", type=click.Path(dir_okay=False), envvar="FTPREP_KEY_FILE", default=None,
              help="The key the vault was written with (else FTPREP_KEY).")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the re-identified text (never over FILE).")
def reidentify(file: str, vault_path: str, key_file: str | None, out: str) -> None:
    """Map pseudonyms in FILE (e.g. a fine-tuned model's output) back to the originals."""
    from .pseudonymize.vault import Vault, reidentify_file

    if os.path.exists(out) and os.path.samefile(out, file):
        raise click.UsageError("the output must not be the input file")
    if not os.path.exists(vault_path):
        raise click.UsageError(f"{vault_path}: no such vault")
    key = _load_key(key_file, required=True)
    assert key is not None
    with Vault(vault_path, key, create=False) as vault:  # read-only: never turned into a vault
        lines = reidentify_file(file, vault, out)
    click.echo(f"wrote {lines} re-identified line(s) to {out}; it holds original identifiers: "
               "keep it inside your organization")


@cli.command()
@click.argument("outdir", type=click.Path(file_okay=False))
@json_option
def verify(outdir: str, as_json: bool) -> None:
    """Check an output directory against its manifest (hashes, sizes, rows)."""
    from .manifest import verify_outputs

    report = verify_outputs(outdir)
    if as_json:
        emit_json(report.to_dict())
    else:
        for p in report.problems:
            click.echo(f"{outdir}: {p}")
        click.echo(f"{outdir}: {'OK' if report.ok else 'MISMATCH'} ({', '.join(report.checked)} checked)")
    sys.exit(0 if report.ok else 1)


def _terminate(main_pid: int, signum: int, frame: Any) -> None:
    """SIGTERM (kill, timeout, docker stop) cleans up like Ctrl-C in the main process."""
    if os.getpid() != main_pid:  # a forked child that did not reset it: die as by default
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise KeyboardInterrupt


def _default_sigterm() -> None:
    """In every forked child (worker pools): the kernel's SIGTERM again. A Python handler
    only runs in a child's main thread, and a worker blocked on a lock while another of its
    threads catches the signal would ignore pool.terminate() and hang the run."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: one clear line and an exit code for every failure, never a traceback."""
    if argv is None:  # the real program (not a test calling main(args) in-process)
        with contextlib.suppress(ValueError):  # only possible in the main thread
            signal.signal(signal.SIGTERM, functools.partial(_terminate, os.getpid()))
            os.register_at_fork(after_in_child=_default_sigterm)
    try:
        rc = cli.main(args=list(argv) if argv is not None else None, prog_name="ftprep",
                      standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.exceptions.Abort:
        click.echo("ftprep: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except FtprepError as exc:
        from .manifest import printable_name

        # the real path, with the bytes of a name that is not UTF-8 as \xNN (as in the manifest)
        click.echo(f"ftprep: error: {printable_name(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("ftprep: interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("FTPREP_DEBUG"):
            raise
        click.echo(f"ftprep: internal error ({type(exc).__name__}); rerun with FTPREP_DEBUG=1 "
                   "for a traceback (it may show data values)", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    main()
