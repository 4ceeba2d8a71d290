"""``facade serve``, ``facade check`` and ``facade apps``."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import datetime, timezone

from aiohttp import web

from facade import config as configuration
from facade.access_log import AccessLogger
from facade.app import init_app, load_config_dialects
from facade.core.apps import Apps
from facade.dialect.loader import MappingError
from facade.store import open_store


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
    commands.add_parser("check", parents=[common], help="validate config and mappings, list the routes")
    apps = commands.add_parser("apps", help="the app_id/app_secret pairs dialects with 'app:' demand")
    actions = apps.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="print a new app's id and secret (shown only now)")
    add.add_argument("--name", default="")
    actions.add_parser("list", parents=[common], help="every app's id, name and creation time")
    remove = actions.add_parser("remove", parents=[common], help="refuse an app's calls from now on")
    remove.add_argument("app_id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = list(args.overrides)
    if getattr(args, "host", None):
        overrides.append(f"server.host={args.host}")
    if getattr(args, "port", None) is not None:
        overrides.append(f"server.port={args.port}")
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
            for path in route.paths:
                print(f"{dialect.name}\t{route.method} {path}{when} -> {route.operation}")
    return 0


def serve(config: configuration.Config, args: argparse.Namespace) -> int:
    logging.basicConfig(level=config["logging.level"], format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = init_app(config)
    web.run_app(app, host=config["server.host"], port=config["server.port"], print=None,
                access_log_class=AccessLogger)
    return 0


def apps(config: configuration.Config, args: argparse.Namespace) -> int:
    return asyncio.run(_apps(config, args))


async def _apps(config: configuration.Config, args: argparse.Namespace) -> int:
    store = await open_store(config["storage.url"])
    try:
        return await APP_ACTIONS[args.action](Apps(store), args)
    finally:
        await store.close()


async def _add(apps: Apps, args: argparse.Namespace) -> int:
    try:
        app = await apps.add(args.name)
    except ValueError as error:
        print(f"facade: apps add: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"app_id": app.app_id, "app_secret": app.app_secret}))
    return 0


async def _list(apps: Apps, args: argparse.Namespace) -> int:
    listed = [{**row, "created_at": datetime.fromtimestamp(row["created_at"], timezone.utc).isoformat(
        timespec="seconds")} for row in await apps.list()]
    print(json.dumps(listed, ensure_ascii=False))
    return 0


async def _remove(apps: Apps, args: argparse.Namespace) -> int:
    if not await apps.remove(args.app_id):
        print(f"facade: apps remove: no app {args.app_id!r}", file=sys.stderr)
        return 1
    print(json.dumps({"removed": args.app_id}))
    return 0


APP_ACTIONS = {"add": _add, "list": _list, "remove": _remove}
COMMANDS = {"apps": apps, "check": check, "serve": serve}
