"""One route: its parameters built, then checked against its operation, its templates and slots."""
from __future__ import annotations

from typing import Any

from facade.core.operations import ENGINE_SUPPLIED, Signature
from facade.dialect.declarations import Dialect, Route
from facade.dialect.loading import check_operations as operations
from facade.dialect.loading.check_paths import check_path, check_reserved
from facade.dialect.loading.check_templates import failure_template, flow_effects, known_refs
from facade.dialect.loading.envelopes import check_slots
from facade.dialect.loading.failures import RouteError
from facade.dialect.loading.one_or_many import as_tuple
from facade.dialect.loading.outcomes import outcome_table
from facade.dialect.loading.params import check_bound_once, condition, fixed, param
from facade.dialect.loading.response_schemas import ResponseSchemas
from facade.dialect.templates import check_refs, compile_template


class RouteBuilder:
    def __init__(self, signatures: dict[str, Signature], session_ttl_max: int | None,
                 schemas: ResponseSchemas) -> None:
        self.signatures = signatures
        self.session_ttl_max = session_ttl_max
        self.schemas = schemas

    def route(self, raw: dict[str, Any], dialect: Dialect) -> Route:
        paths = as_tuple(raw["path"])
        label = f"{'|'.join(as_tuple(raw['method']))} {paths[0]} ({raw['id']})"
        check_reserved(paths, label)
        try:
            for path in paths:
                check_path(path)
            return self._checked_route(raw, paths, label, dialect)
        except ValueError as error:
            raise RouteError(label, str(error)) from None

    def _checked_route(self, raw: dict[str, Any], paths: tuple[str, ...], label: str, dialect: Dialect) -> Route:
        signature = self.signatures.get(raw["operation"])
        if signature is None:
            raise ValueError(f"unknown operation {raw['operation']!r} (have: {', '.join(sorted(self.signatures))})")
        entries = raw.get("parameters", ())
        params = (*(fixed(target, value) for target, value in raw.get("fixed", {}).items()),
                  *(param(e, paths, dialect.reads) for e in entries if "binds" in e))
        checks = tuple(param(e, paths, dialect.reads) for e in entries if "binds" not in e)
        check_bound_once(params)
        operations.check_arguments(signature, params, dialect)
        operations.check_lifetimes(params, self.session_ttl_max)
        success, failure = raw.get("success", {}), raw.get("failure", {})
        data = compile_template(success.get("data"), dialect.settings)
        known = known_refs(signature, params, dialect)
        check_refs(data, known)
        extensions = raw.get("extensions", {})
        flow = flow_effects(extensions.get("flow"), dialect, known, params)
        success_slots, failure_slots = success.get("slots", {}), failure.get("slots", {})
        check_slots(success_slots, dialect.success, "success.slots")
        check_slots(failure_slots, dialect.failure, "failure.slots")
        failure_body = failure_template(failure.get("body"), dialect)
        cookie = extensions.get("session_cookie")
        operations.check_cookie(cookie, signature, dialect)
        route = Route(
            name=raw["id"], methods=as_tuple(raw["method"]), paths=paths, operation=raw["operation"], label=label,
            conditions=tuple(condition(c, dialect.reads) for c in raw.get("when", ())),
            params=params, checks=checks, success=success_slots, failure=failure_slots, data=data, flow=flow,
            failure_template=failure_body, max_body_bytes=raw.get("max_body_bytes"),
            supplied=tuple(sorted(signature.accepted & set(ENGINE_SUPPLIED))), cookie=cookie,
            outcomes=outcome_table(raw.get("outcomes", {}), dialect.failure, "outcomes", dialect.settings),
            validator=self.schemas.validator(success.get("schema")) or dialect.validator,
            schema=self.schemas.checker(success.get("schema")) or dialect.schema,
            writes=signature.writes, description=raw.get("description", ""))
        route.raises = operations.answerable(route, signature, dialect)
        operations.check_outcomes(route, signature)
        return route
