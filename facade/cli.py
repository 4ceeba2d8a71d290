"""The ``facade`` command: serve, check, init, apps, import, contract, shadow, about, openapi."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from facade import __version__
from facade import config as configuration
from facade import api_docs, launch, shipped
from facade.app import load_config_dialects
from facade.contract import report as contract_report
from facade.contract.cases import CaseError, cases_file
from facade.contract.cases import load as load_cases
from facade.contract.plugins import CommandExpiry, PluginError, app_pair, code_oracle, listening
from facade.contract.runner import Target
from facade.contract.runner import run as run_cases
from facade.core.apps import Apps
from facade.core.ports import Store
from facade.core.operations import signatures
from facade.core.service import UserCore
from facade.dialect.reference import operations_text
from facade.dialect.loader import MappingError
from facade.importing import description as descriptions
from facade.importing.decisions import ImportStopped
from facade.importing.report import Progress, Report
from facade.importing.run import Importer
from facade.importing.run import check as check_import
from facade.importing.sources import SourceError
from facade.store import StoreUnavailable
from facade.upstream import report as shadow_reports

ADMIN_TOKEN = "FACADE_ADMIN__TOKEN"  # what admin.token is read from, for `facade serve` too


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facade", description=__doc__)
    parser.add_argument("--version", action="version", version=f"facade {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help=f"config file (default: ${configuration.ENV_VAR}, then ./config.yaml)")
    common.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key by dotted path; repeatable")
    serve = commands.add_parser("serve", parents=[common], help="serve every enabled dialect")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="processes sharing the port (default: server.workers, 1)")
    commands.add_parser("check", parents=[common], help="validate config and mappings, list the routes")
    init = commands.add_parser("init", help="write a starter config.yaml and copies of the shipped mappings "
                                            "and their schemas to DIR, to edit")
    init.add_argument("dir")
    commands.add_parser("about", parents=[common], help="print, as Markdown, where each dialect follows its real "
                                                        "server, its document, or departs (the README's section)")
    contract = commands.add_parser("contract", parents=[common], help="run a dialect's contract cases against "
                                                                      "any server: the facade or the legacy one")
    contract.add_argument("dialect")
    contract.add_argument("--target", required=True, help="the server's base URL, e.g. http://10.0.0.5:9111")
    contract.add_argument("--cases", help="the case file (default: <mappings.dir>/cases/<dialect>.yaml)")
    contract.add_argument("--codes", help="how to learn a code the server sent: outbox:PATH, command:CMD or "
                                          "sink:HOST:PORT (default: outbox:<notify.outbox>)")
    contract.add_argument("--expire-codes", metavar="CMD", help="a command given a phone or address that makes "
                                                                "the codes sent to it expire")
    contract.add_argument("--app", metavar="ID:SECRET", help="an app pair the target accepts")
    contract.add_argument("--provision", metavar="CMD", help="a command printing a new app pair as JSON")
    contract.add_argument("--case", dest="only", action="append", help="run only this case; repeatable")
    contract.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML")
    apps = commands.add_parser("apps", help="the app_id/app_secret pairs dialects with 'app:' demand")
    actions = apps.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="print a new app's id and secret (shown only now), "
                                                           "or enter a pair legacy clients already carry")
    add.add_argument("--name", default="")
    add.add_argument("--app-id", help="a pair a legacy operator issued: 16 lowercase letters or digits")
    add.add_argument("--app-secret", help="its secret: 32 letters or digits (stored only as a hash)")
    actions.add_parser("list", parents=[common], help="every app's id, name and creation time")
    remove = actions.add_parser("remove", parents=[common], help="refuse an app's calls from now on")
    remove.add_argument("app_id")
    shadow = commands.add_parser("shadow", help="what a running server's shadow routes found, comparing its answers "
                                                "with the legacy server's")
    shadow_actions = shadow.add_subparsers(dest="action", required=True)
    shadow_report = shadow_actions.add_parser("report", help="summarise GET /_facade/shadow of the admin "
                                                             "listener; exit 1 when any answer differed")
    shadow_report.add_argument("--url", default="http://127.0.0.1:8081", help="the admin listener: its base URL "
                                                                          "or unix:/path of its socket")
    shadow_report.add_argument("--token", default=os.environ.get(ADMIN_TOKEN), help=f"its admin.token (default: "
                               f"${ADMIN_TOKEN}, which, unlike an argument, ps does not show)")
    shadow_report.add_argument("--json", action="store_true", help="print the report as the server gave it")
    document = commands.add_parser("openapi", parents=[common], help="write a dialect's OpenAPI 3.1 document, "
                                                                     "made from its mapping (default: to stdout)")
    document.add_argument("dialect")
    document.add_argument("--out", metavar="FILE", help="write it to FILE instead")
    commands.add_parser("operations", help="print, as Markdown, what a mapping may name: each core operation's "
                                           "arguments, what its templates may write, the outcomes it may raise")
    load = commands.add_parser("import", parents=[common], help="bring a legacy source's users, sessions or app "
                                                                "keys in, as a description file says")
    load.add_argument("description", help="the description (YAML; see the README)")
    load.add_argument("--dry-run", action="store_true", help="decide every row, write nothing")
    load.add_argument("--report", help="write each rejected row (line and reason) to this file, as JSON lines")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "init":
        return init(args)
    if args.command == "shadow":  # asks a running server: no config of its own
        return shadow(args)
    if args.command == "operations":  # the core's own: no config of its own
        print(operations_text(signatures(UserCore)), end="")
        return 0
    overrides = list(args.overrides)
    if getattr(args, "host", None):
        overrides.append(f"server.host={args.host}")
    if getattr(args, "port", None) is not None:
        overrides.append(f"server.port={args.port}")
    if getattr(args, "workers", None) is not None:
        overrides.append(f"server.workers={args.workers}")
    try:
        config = configuration.load(args.config, overrides)
        return COMMANDS[args.command](config, args)
    except (configuration.ConfigError, MappingError) as error:
        print(f"facade: {error}", file=sys.stderr)
        return 2
    except StoreUnavailable as error:
        print(f"facade: storage.url: {error}", file=sys.stderr)
        return 2
    except launch.CannotStart as error:
        print(f"facade: {error}", file=sys.stderr)
        return 2


def check(config: configuration.Config, args: argparse.Namespace) -> int:
    for dialect in load_config_dialects(config):
        for route in dialect.routes:
            when = "".join(f" [{condition}]" for condition in route.conditions)
            for method, path in route.served():
                print(f"{dialect.name}\t{method} {path}{when} -> {route.operation}")
    return 0


def serve(config: configuration.Config, args: argparse.Namespace) -> int:
    return launch.serve(config)


def init(args: argparse.Namespace) -> int:
    """A folder to start from: the starter config, and the shipped mappings and their schemas to edit."""
    folder = Path(args.dir)
    target = folder / configuration.DEFAULT_FILE
    if target.exists():
        print(f"facade: init: {target} exists; not overwriting it", file=sys.stderr)
        return 2
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(shipped.MAPPINGS, folder / "mappings", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        for schemas in sorted(p for p in shipped.SCHEMAS.iterdir() if p.is_dir() and p.name != "__pycache__"):
            shutil.copytree(schemas, folder / "schemas" / schemas.name, dirs_exist_ok=True)
        shutil.copyfile(configuration.STARTER, target)
    except OSError as error:
        print(f"facade: init: {error.strerror}: {error.filename}", file=sys.stderr)
        return 2
    print(f"wrote {target}, {folder / 'mappings'} and {folder / 'schemas'}; now: cd {folder} && facade serve")
    return 0


def apps(config: configuration.Config, args: argparse.Namespace) -> int:
    return asyncio.run(_apps(config, args))


async def _opened(config: configuration.Config) -> Store:
    """The store serve would use, named on stderr (stdout stays the command's answer)."""
    store, named = await launch.named_store(config)
    print(f"facade: store {named}", file=sys.stderr)
    return store


async def _apps(config: configuration.Config, args: argparse.Namespace) -> int:
    store = await _opened(config)
    try:
        return await APP_ACTIONS[args.action](Apps(store), args)
    finally:
        await store.close()


async def _add(apps: Apps, args: argparse.Namespace) -> int:
    try:
        app = await apps.add(args.name, args.app_id, args.app_secret)
    except ValueError as error:
        print(f"facade: apps add: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"app_id": app.app_id, "app_secret": app.app_secret}))
    return 0


async def _list(apps: Apps, args: argparse.Namespace) -> int:
    listed = [{"app_id": app.app_id, "name": app.name, "created_at": datetime.fromtimestamp(
        app.created_at, timezone.utc).isoformat(timespec="seconds")} for app in await apps.list()]
    print(json.dumps(listed, ensure_ascii=False))
    return 0


async def _remove(apps: Apps, args: argparse.Namespace) -> int:
    if not await apps.remove(args.app_id):
        print(f"facade: apps remove: no app {args.app_id!r}", file=sys.stderr)
        return 1
    print(json.dumps({"removed": args.app_id}))
    return 0


APP_ACTIONS = {"add": _add, "list": _list, "remove": _remove}


def import_(config: configuration.Config, args: argparse.Namespace) -> int:
    """The description and every file are checked whole before the store is even opened."""
    try:
        description = descriptions.load(Path(args.description), load_config_dialects(config))
        totals = check_import(description)
    except (descriptions.DescriptionError, SourceError) as error:
        print(f"facade: {'import: ' if isinstance(error, SourceError) else ''}{error}", file=sys.stderr)
        return 2
    return asyncio.run(_import(config, description, totals, args))


async def _import(config: configuration.Config, description: descriptions.Description, totals: dict[str, int],
                  args: argparse.Namespace) -> int:
    store = await _opened(config)
    try:
        with contextlib.ExitStack() as files:
            out = files.enter_context(open(args.report, "w", encoding="utf-8")) if args.report else None
            importer = Importer(store, description, dry_run=args.dry_run, report=Report(out), totals=totals,
                                progress=Progress(sys.stderr), session_ttl_max=config["security.session_ttl_max"])
            try:
                summaries = await importer.run()
            except ImportStopped as error:
                print(f"facade: import: {error}", file=sys.stderr)
                return 1
    finally:
        await store.close()
    for part, summary in summaries.items():
        print(summary.line(part) + (" (dry run: nothing was written)" if args.dry_run else ""))
    return 0


def contract(config: configuration.Config, args: argparse.Namespace) -> int:
    """Exit 0 only when every case passed; 1 when any failed; 2 when the cases could not run."""
    path = Path(args.cases) if args.cases else cases_file(config.path("mappings.dir"), args.dialect)
    try:
        suite = load_cases(path)
        oracle = code_oracle(args.codes or f"outbox:{config['notify.outbox']}")
        pair = asyncio.run(app_pair(args.app, args.provision))
    except (CaseError, PluginError) as error:
        print(f"facade: contract: {error}", file=sys.stderr)
        return 2
    target = Target(args.target.rstrip("/"), oracle, pair,
                    expiry=CommandExpiry(args.expire_codes) if args.expire_codes else None)
    results = asyncio.run(_contract_run(suite, target, set(args.only or ()) or None))
    print(contract_report.text(suite.dialect, args.target, results), end="")
    if args.junit:
        contract_report.junit(suite.dialect, results, Path(args.junit))
    return 0 if all(r.passed or r.skipped for r in results) and results else 1


async def _contract_run(suite, target: Target, only: set[str] | None) -> list:
    async with listening(target.codes):
        return await run_cases(suite, target, only)


def shadow(args: argparse.Namespace) -> int:
    """Exit 0 when every comparison agreed, 1 when any answer differed, 2 when the server could not be asked."""
    try:
        report = asyncio.run(shadow_reports.fetch(args.url, args.token))
    except shadow_reports.Unreachable as error:
        print(f"facade: shadow report: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else shadow_reports.text(args.url, report),
          end="\n" if args.json else "")
    return 1 if shadow_reports.differing(report) else 0


def about(config: configuration.Config, args: argparse.Namespace) -> int:
    print(about_text(load_config_dialects(config)), end="")
    return 0


ABOUT_PARTS = (("follows_real_server", "Follows the real server"), ("follows_document", "Follows the document"),
               ("departs", "Departs on purpose"))


def about_text(dialects: list) -> str:
    """Each dialect's 'about' from its mapping, as the README shows it."""
    out = []
    for dialect in dialects:
        about = dialect.about
        out.append(f"### {dialect.name}\n\nReal source: {about.get('real', 'not recorded')}.\n")
        for key, title in ABOUT_PARTS:
            items = about.get(key) or []
            if items:
                out.append(f"\n{title}:\n\n" + "".join(f"- {item}\n" for item in items))
        out.append("\n")
    return "".join(out)


def openapi(config: configuration.Config, args: argparse.Namespace) -> int:
    dialects = {dialect.name: dialect for dialect in load_config_dialects(config)}
    if args.dialect not in dialects:
        print(f"facade: openapi: no dialect {args.dialect!r} is served (have: {', '.join(dialects)})", file=sys.stderr)
        return 2
    written = api_docs.text(dialects[args.dialect])
    if args.out is None:
        sys.stdout.write(written)
        return 0
    try:
        Path(args.out).write_text(written, encoding="utf-8")
    except OSError as error:
        print(f"facade: openapi: {error.strerror}: {args.out}", file=sys.stderr)
        return 2
    return 0


COMMANDS = {"about": about, "apps": apps, "check": check, "contract": contract, "import": import_, "openapi": openapi,
            "serve": serve}
