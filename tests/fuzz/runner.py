"""Sends one operation's cases as one actor and records what the document does not describe."""
from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from ledger.core.db import db
from tests.fuzz import budget, world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          unsupported_method]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
# Top-level body fields that name a row; steered to existing ids like path and query parameters.
BODY_IDS = ("org_id", "owner_id", "leader_id", "review_id", "user_id", "target_id")


@dataclass
class Findings:
    """Distinct failures, one entry each (the first request that showed it), with how often each recurred."""

    seen: dict[tuple, list] = field(default_factory=dict)
    cases: int = 0
    reissued: int = 0  # tokens given back after a fuzzed request ended the actor's session
    seconds: dict[str, float] = field(default_factory=dict)  # CPU time per part, for docs/fuzzing.md
    per_operation: dict[str, float] = field(default_factory=dict)

    def add(self, key: tuple, describe: Callable[[], str]) -> None:
        if key in self.seen:
            self.seen[key][1] += 1
        else:
            self.seen[key] = [describe(), 1]

    @contextmanager
    def timed(self, part: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[part] = self.seconds.get(part, 0.0) + time.process_time() - started

    def summary(self) -> str:
        parts = ", ".join(f"{part} {seconds:.1f} s" for part, seconds in self.seconds.items())
        slowest = sorted(self.per_operation.items(), key=lambda kv: -kv[1])[:5]
        top = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in slowest)
        return f"{self.cases} cases, {self.reissued} token(s) re-issued; CPU: {parts}; slowest: {top}"

    def report(self) -> str:
        return "\n\n".join(f"[{count}×] {text}" for text, count in self.seen.values())


def _steer_ids(case, picks: dict) -> None:
    """Replace generated ids by existing ones (path, query and top-level body), where ``picks`` names one."""
    for name, value in picks.items():
        if value is None:
            continue
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
        if case.query and name in case.query:
            case.query[name] = str(value)
        if isinstance(case.body, dict) and name in case.body:
            case.body[name] = value


def _curl(case, headers: dict) -> str:
    try:
        return case.as_curl_command(headers=headers)
    except Exception:  # a case that cannot even be rendered is still worth its label
        return f"{case.method} {case.formatted_path}"


def _describe(case) -> str:
    meta = case.meta
    if meta is None:
        return "?"
    scenario = getattr(meta.phase.data, "description", "") or ""
    return f"{meta.phase.name.value}/{meta.generation.mode.value}{': ' + scenario if scenario else ''}"


class BufferedClient(FlaskClient):
    """Reads each answer whole and closes it, as a WSGI server does (Schemathesis leaves a file answer's
    iterable open, and the unclosed file would be a ResourceWarning)."""

    def open(self, *args, **kwargs):
        kwargs["buffered"] = True
        return super().open(*args, **kwargs)


def client_for(app) -> BufferedClient:
    return BufferedClient(app, app.response_class)


def send(case, actor: world.Actor, findings: Findings) -> int:
    """Send ``case`` as ``actor``; record an escaped exception or every failed check. Answers the status."""
    label, headers = case.operation.label, actor.headers()
    findings.cases += 1
    # The transport owns Host: Werkzeug's test client cannot even send a malformed one (it parses it for the
    # cookies before the app runs); the app's answer to one is tested in tests/api/test_fuzz_regressions.py.
    for name in [n for n in (case.headers or {}) if n.lower() == "host"]:
        del case.headers[name]
    try:
        response = case.call(headers=headers, session=actor.client, app=actor.client.application)
    except Exception as exc:  # the test client propagates what would have been a 500
        db.session.rollback()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        findings.add((label, "exception", type(exc).__name__, where.filename, where.lineno),
                     lambda e=exc: f"{label} ({_describe(case)}): {type(e).__name__}: {str(e)[:300]}\n"
                                   f"  at {where.filename}:{where.lineno}\n  {_curl(case, headers)}")
        return 500
    db.session.rollback()  # the test's application context keeps the session: each case starts clean
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        for failure in group.exceptions:
            findings.add((label, type(failure).__name__, response.status_code, failure.title),
                         lambda f=failure: f"{label} ({_describe(case)}) → {response.status_code}: {f.title}\n"
                                           f"  {f.message[:600]}\n  {_curl(case, headers)}")
    except Exception as exc:  # the document itself cannot be used to check the answer
        findings.add((label, "document", type(exc).__name__),
                     lambda e=exc: f"{label}: the document cannot check the answer: {type(e).__name__}: {e}"[:900])
    return response.status_code


def _request_key(case) -> tuple:
    return (case.method, case.formatted_path, repr(sorted((case.query or {}).items())), repr(case.body),
            case.media_type, repr(sorted((case.headers or {}).items())))


def _coverage(operation, actor: world.Actor, findings: Findings) -> bool:
    """Schemathesis's deterministic cases. The valid ones aim at one existing row per operation (the
    generated cases vary the rows), and a request already sent is not sent again — a path-only operation
    such as a PDF then renders once, not once per boundary value. The invalid ones go out as the roles in
    ``budget.NEGATIVE_ROLES`` (validation comes before any role's rules, so one wide role reaches it
    everywhere), and as anonymous on public operations. True when a valid case got a 2xx."""
    ids = world.known_ids(actor)
    public = operation.definition.raw.get("security") == []
    modes = MODES if actor.role in budget.NEGATIVE_ROLES or (public and actor.role == "anonymous") else MODES[:1]
    generator = CoverageGenerator(operation=operation, generation_modes=modes, auth_storage=None,
                                  generation_config=operation.schema.config.generation_for(
                                      operation=operation, phase="coverage"),
                                  override=Override(), feedback=FeedbackSources())
    target = {name: values[len(operation.label) % len(values)] for name, values in ids.items()}
    cases, sent, reached = iter(generator), set(), False
    while True:
        with findings.timed("coverage generation"):
            case = next(cases, None)
        if case is None:
            return reached
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if positive:
            _steer_ids(case, target)
        key = _request_key(case)
        if key in sent:
            continue
        sent.add(key)
        with findings.timed("requests and checks"):
            status = send(case, actor, findings)
        reached = reached or (positive and 200 <= status < 300)


def _generated(operation, mode: GenerationMode, actor: world.Actor, findings: Findings) -> None:
    """Hypothesis-generated cases from the fixed seed; in a valid one each id is either generated or an
    existing one (an invalid one keeps what was generated)."""
    ids = world.known_ids(actor) if mode.is_positive else {}
    names = [p.name for p in operation.path_parameters] + [p.name for p in operation.query]
    names += list(BODY_IDS) if operation.body else []
    picks = st.fixed_dictionaries({n: st.none() | st.sampled_from(ids[n]) for n in dict.fromkeys(names) if n in ids})

    @seed(budget.SEED)
    @settings(max_examples=budget.EXAMPLES, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), chosen=picks)
    def run(case, chosen) -> None:
        _steer_ids(case, chosen)
        started = time.process_time()
        send(case, actor, findings)
        sent[0] += time.process_time() - started
    sent = [0.0]
    with findings.timed("generated cases"):
        run()
    findings.seconds["requests and checks"] = findings.seconds.get("requests and checks", 0.0) + sent[0]
    findings.seconds["generated cases"] -= sent[0]


def fuzz_operation(operation, actor: world.Actor, findings: Findings) -> None:
    """Coverage cases, then generated ones where the role got through (or the operation is public): a role
    refused everywhere on an operation only meets the same refusal again."""
    started = time.process_time()
    reached = _coverage(operation, actor, findings)
    if reached or operation.definition.raw.get("security") == []:
        for mode in MODES:
            _generated(operation, mode, actor, findings)
    findings.per_operation[operation.label] = time.process_time() - started
    if world.ensure_signed_in(actor):  # right (a revoked token, a deactivation), but the run goes on signed in
        findings.reissued += 1
