"""``facade serve``, ``facade check`` and ``facade apps``."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from facade import config as configuration
from facade.access_log import AccessLogger
from facade import serving, workers
from facade.app import init_app, load_config_dialects, open_configured_store
from facade.core.apps import Apps
from facade.dialect.loader import MappingError
from facade.importing import description as descriptions
from facade.importing.run import Importer, ImportStopped, Progress, Report
from facade.importing.run import check as check_import
from facade.importing.sources import SourceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facade", description=__doc__)
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
    commands.add_parser("about", parents=[common], help="print, as Markdown, where each dialect follows its real "
                                                        "server, its document, or departs (the README's section)")
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
    load = commands.add_parser("import", parents=[common], help="bring a legacy source's users, sessions or app "
                                                                "keys in, as a description file says")
    load.add_argument("description", help="the description (YAML; see the README)")
    load.add_argument("--dry-run", action="store_true", help="decide every row, write nothing")
    load.add_argument("--report", help="write each rejected row (line and reason) to this file, as JSON lines")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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


def check(config: configuration.Config, args: argparse.Namespace) -> int:
    for dialect in load_config_dialects(config):
        for route in dialect.routes:
            when = "".join(f" [{condition}]" for condition in route.conditions)
            for method, path in route.served():
                print(f"{dialect.name}\t{method} {path}{when} -> {route.operation}")
    return 0


def serve(config: configuration.Config, args: argparse.Namespace) -> int:
    logging.basicConfig(level=config["logging.level"], format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = init_app(config)  # mappings checked once, before any worker starts
    host, port, count = config["server.host"], config["server.port"], config["server.workers"]
    try:
        sock = workers.listen(host, port)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"facade: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return 2

    def work() -> int:
        serving.run(app, sock, config, access_log_class=AccessLogger)
        return 0
    if count == 1:
        return work()
    app.cleanup_ctx.append(workers.parent_watch)
    return workers.Supervisor(count, work).run()


def apps(config: configuration.Config, args: argparse.Namespace) -> int:
    return asyncio.run(_apps(config, args))


async def _apps(config: configuration.Config, args: argparse.Namespace) -> int:
    store = await open_configured_store(config)
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
    store = await open_configured_store(config)
    try:
        with contextlib.ExitStack() as files:
            out = files.enter_context(open(args.report, "w", encoding="utf-8")) if args.report else None
            importer = Importer(store, description, dry_run=args.dry_run, report=Report(out), progress=Progress(),
                                session_ttl_max=config["security.session_ttl_max"], totals=totals)
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


COMMANDS = {"about": about, "apps": apps, "check": check, "import": import_, "serve": serve}
