"""``facade serve`` and ``facade check``."""
from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from facade import config as configuration
from facade.access_log import AccessLogger
from facade.app import init_app, load_config_dialects
from facade.dialect.loader import MappingError


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
        return COMMANDS[args.command](config)
    except (configuration.ConfigError, MappingError) as error:
        print(f"facade: {error}", file=sys.stderr)
        return 2


def check(config: configuration.Config) -> int:
    for dialect in load_config_dialects(config):
        for route in dialect.routes:
            when = "".join(f" [{condition}]" for condition in route.conditions)
            for path in route.paths:
                print(f"{dialect.name}\t{route.method} {path}{when} -> {route.operation}")
    return 0


def serve(config: configuration.Config) -> int:
    logging.basicConfig(level=config["logging.level"], format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = init_app(config)
    web.run_app(app, host=config["server.host"], port=config["server.port"], print=None,
                access_log_class=AccessLogger)
    return 0


COMMANDS = {"check": check, "serve": serve}
