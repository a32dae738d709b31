"""One transaction per request, committed in one place (``api/deps.SessionDep``): before the
answer is sent, so a commit that fails is answered as an error, never as a 2xx; and an error
after part of a write leaves nothing of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from tests.api.test_health_and_errors import assert_problem
from tests.api.test_lifecycle import co, customer, full_cylinder  # noqa: F401 (co: a fixture)
from tests.factories import credit_code

REFUSED = "Refused at commit Ltd"


@pytest.fixture
def refused_at_commit(client: Any) -> Iterator[str]:
    """A deferred constraint trigger: an enterprise named ``REFUSED`` is accepted by every
    statement and refused only by COMMIT, as PostgreSQL refuses a serializable transaction
    that lost (SQLSTATE 40001) or a deferred unique or foreign key."""
    with get_engine().begin() as conn:
        conn.execute(text("""
            CREATE FUNCTION ct_test_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.name = :name THEN
                    RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'serialization_failure';
                ELSIF NEW.name = 'Taken at commit Ltd' THEN
                    RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'unique_violation';
                ELSIF NEW.name = 'Checked at commit Ltd' THEN
                    RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'check_violation';
                END IF;
                RETURN NULL;
            END $$""".replace(":name", f"'{REFUSED}'")))
        conn.execute(text(
            "CREATE CONSTRAINT TRIGGER ct_test_refuse_at_commit AFTER INSERT ON enterprise "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION ct_test_refuse_at_commit()"))
    try:
        yield REFUSED
    finally:
        with get_engine().begin() as conn:
            conn.execute(text("DROP TRIGGER ct_test_refuse_at_commit ON enterprise"))
            conn.execute(text("DROP FUNCTION ct_test_refuse_at_commit()"))


def _enterprises(name: str) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM enterprise WHERE name = :n"),
                                {"n": name}).scalar_one())


def test_a_commit_that_fails_is_answered_as_an_error_and_stores_nothing(
    world: Any, refused_at_commit: str
) -> None:
    body = {"name": refused_at_commit, "credit_code": credit_code(9_000_001),
            "region_code": "500103"}
    r = world.client.post("/api/v1/enterprises", headers=world.admin, json=body)
    # the route had built its 201; the commit refused it, before anything was sent
    assert_problem(r, 409, "RETRY")
    assert _enterprises(refused_at_commit) == 0
    # the trigger refuses that name only: the same request under another name is stored,
    # and is there when its answer arrives
    ok = world.client.post("/api/v1/enterprises", headers=world.admin,
                           json={**body, "name": "Accepted Ltd"})
    assert ok.status_code == 201, ok.text
    assert _enterprises("Accepted Ltd") == 1


@pytest.mark.parametrize(("name", "status", "code"), [
    ("Taken at commit Ltd", 409, "CONFLICT"),        # a unique key a concurrent request took
    ("Checked at commit Ltd", 422, "INVALID_VALUE"),  # a stored rule no use case checked first
])
def test_a_constraint_refusing_at_commit_is_a_problem_not_a_500(
    world: Any, refused_at_commit: str, name: str, status: int, code: str
) -> None:
    body = {"name": name, "credit_code": credit_code(9_000_002), "region_code": "500103"}
    r = world.client.post("/api/v1/enterprises", headers=world.admin, json=body)
    assert_problem(r, status, code)
    assert _enterprises(name) == 0


def test_an_error_after_part_of_a_write_leaves_nothing_of_it(
        world: Any, co: Any) -> None:  # noqa: F811
    """The door-step confirmation moves the delivered cylinder (its state, a ``delivered``
    event) before it looks at the empties; an empty the worker may not take fails the request
    after that write: the whole request is rolled back, the delivery still waits."""
    h, wh = co["admin"]["headers"], co["worker"]["headers"]
    cust = customer(world, co)
    c = full_cylinder(world, co)
    other = world.enterprise()
    foreign = world.cylinder(other["id"])
    d = world.client.post("/api/v1/deliveries", headers=h, json={
        "worker_id": co["worker"]["id"], "vehicle_id": co["vehicle"]["id"],
        "customer_id": cust["id"], "codes": [c["code"]]})
    assert d.status_code == 201, d.text
    delivery_id = d.json()["id"]

    def events() -> list[str]:
        with get_engine().connect() as conn:
            return list(conn.execute(text(
                "SELECT kind FROM cylinder_event WHERE cylinder_id = :c ORDER BY id"),
                {"c": c["id"]}).scalars())

    before = events()
    r = world.client.post(f"/api/v1/deliveries/{delivery_id}/confirm", headers=wh, json={
        "scans": [c["qr_text"]], "location": {"lat": 29.56, "lon": 106.57},
        "safety_check": {"passed": True, "items": [{"item": "no_leak", "ok": True}]},
        "empties": [foreign["qr_text"]]})
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith(
        "application/problem+json"), r.text
    assert events() == before and "delivered" not in before
    got = world.client.get(f"/api/v1/cylinders/{c['code']}", headers=h).json()
    assert got["location_kind"] == "vehicle"
    assert world.client.get(f"/api/v1/deliveries/{delivery_id}",
                            headers=h).json()["status"] == "dispatched"


# The request's one commit (api/deps.request_session), and those outside it, each the rule it
# keeps.
MID_REQUEST_COMMITS = {
    ("api/deps.py", "request_session"): 2,  # THE one: a read's on the loop, a write's in a thread
    ("services/sessions.py", "check_password"): 3,  # the attempt count and the lock-out hold
    ("services/delivery.py", "customer_confirm"): 1,  # a wrong customer code counts
    ("services/accounts.py", "create_admin"): 2,  # the command line's own transaction
    ("services/demo.py", "load_demo"): 1,  # the command line's own transaction
}


def test_services_and_routes_commit_only_where_the_rule_says() -> None:
    import ast
    from pathlib import Path

    pkg = Path(__file__).resolve().parents[2] / "src" / "cylinder_trace"
    found: dict[tuple[str, str], int] = {}
    for path in [*pkg.joinpath("services").rglob("*.py"), *pkg.joinpath("api").rglob("*.py")]:
        if path.name == "authorizing.py":  # the hot path: its own pool, in autocommit
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                # a call, or the method handed on (run_in_threadpool(session.commit))
                if isinstance(node, ast.Attribute) and node.attr == "commit":
                    where = (path.relative_to(pkg).as_posix(), func.name)
                    found[where] = found.get(where, 0) + 1
    assert found == MID_REQUEST_COMMITS
