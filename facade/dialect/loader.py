"""Reads mappings/*.yaml into checked Dialects, or fails naming file, route and reason.

Everything a request could trip over is checked here, before the server
serves anything: the file against schemas/mapping.schema.json, each route
against the core operation it calls, each template reference against what
that operation returns, each outcome id against the core's closed list.
Each check is a stage in facade/dialect/loading/; this module runs them in order.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from facade.core.operations import Signature
from facade.dialect.declarations import Dialect
from facade.dialect.loading import check_paths, envelopes, sessions
from facade.dialect.loading import settings as dialect_settings
from facade.dialect.loading.failures import FILE_LEVEL, MappingError, RouteError
from facade.dialect.loading.one_or_many import as_tuple
from facade.dialect.loading.outcomes import outcome_table
from facade.dialect.loading.read import Reader
from facade.dialect.loading.response_schemas import ResponseSchemas
from facade.dialect.loading.routes import RouteBuilder


def load_dialects(directory: Path, signatures: dict[str, Signature], *,
                  schemas_dir: Path, enabled: list[str] | None = None,
                  validate_responses: bool = False, session_ttl_max: int | None = None,
                  settings: dict[str, dict[str, Any]] | None = None) -> list[Dialect]:
    files = sorted(directory.glob("*.yaml"))
    names = [f.stem for f in files]
    for wanted in [*(enabled or ()), *(settings or {})]:
        if wanted not in names:
            raise MappingError(str(directory / f"{wanted}.yaml"), FILE_LEVEL,
                               "named in config (mappings.enabled or dialects) but no such file")
    loader = _Loader(signatures, schemas_dir, validate_responses, session_ttl_max, settings or {})
    dialects = [loader.dialect(f) for f in files if enabled is None or f.stem in enabled]
    if not dialects:  # a server that serves nothing would still answer its health check: say so now
        why = "no *.yaml mapping here" if not files else "mappings.enabled names none of them"
        raise MappingError(str(directory), FILE_LEVEL, f"{why}: nothing to serve")
    check_paths.check_no_overlap(dialects)
    return dialects


class _Loader:
    def __init__(self, signatures: dict[str, Signature], schemas_dir: Path, validate: bool,
                 session_ttl_max: int | None, settings: dict[str, dict[str, Any]]) -> None:
        self.settings = settings
        self.reader = Reader()
        self.schemas = ResponseSchemas(schemas_dir, validate)
        self.routes = RouteBuilder(signatures, session_ttl_max, self.schemas)

    def dialect(self, file: Path) -> Dialect:
        raw = self.reader.read(file)
        where = str(file)
        try:
            return self._build(file, raw)
        except RouteError as error:
            raise MappingError(where, error.route, error.reason) from None
        except ValueError as error:
            raise MappingError(where, FILE_LEVEL, str(error)) from None

    def _build(self, file: Path, raw: dict[str, Any]) -> Dialect:
        style = raw["json"]
        envelopes.check_charset(style["content_type"])
        declared = raw.get("settings", {})
        settings = dialect_settings.resolve(declared, self.settings.get(file.stem, {}), file.stem)
        success, failure = (envelopes.envelope(raw["envelope"][k], k, settings) for k in ("success", "failure"))
        outcomes = outcome_table(raw["outcomes"], failure, "outcomes", settings, dialect_level=True)
        id_specs = {name: sessions.id_spec(file.stem, name, spec) for name, spec in raw.get("ids", {}).items()}
        extensions = raw.get("extensions", {})
        reads = as_tuple(raw["parameters"]["in"])
        carrier = sessions.carrier(raw.get("session"), id_specs, extensions.get("session_cookie"))
        dialect = Dialect(
            name=file.stem, file=str(file), style=envelopes.json_style(style),
            success=success, failure=failure, outcomes=outcomes, routes=[], session=carrier,
            validator=self.schemas.validator(raw.get("schemas", {}).get("response")),
            app=sessions.app(raw.get("app"), reads),
            schema=self.schemas.checker(raw.get("schemas", {}).get("response")),
            settings=settings, flow_cookie=extensions.get("flow", {}).get("cookie"),
            static=tuple((s["path"], s["serves"]) for s in extensions.get("static", ())), ids=id_specs,
            url_space=as_tuple(raw.get("url_space", ())), about=raw.get("about", {}), reads=reads,
            description=raw.get("description", ""), setting_notes=dialect_settings.notes(declared))
        dialect.routes = [self.routes.route(r, dialect) for r in raw["routes"]]
        check_paths.check_unique_ids(dialect.routes)
        check_paths.check_dispatch(dialect.routes)
        check_paths.check_shadowing(dialect.routes)
        return dialect
