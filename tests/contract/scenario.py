"""An integrator's scenario through the generated client alone (no hand-written HTTP): type-
checked with `mypy --strict` together with the generated package, then run against the
service. Not collected by pytest (no test_ prefix): tests/contract/test_generated_client.py
imports it once `ct_client` exists."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import TypedDict
from uuid import UUID

from ct_client import AuthenticatedClient, Client
from ct_client.api.auth import login
from ct_client.api.cylinders import (
    export_epcis_events,
    get_history,
    import_cylinders,
    register_cylinder,
)
from ct_client.api.enterprises import create_enterprise
from ct_client.api.filling import authorize_fill, record_fill
from ct_client.api.stations import create_api_key, create_station
from ct_client.models import (
    ApiKeyCreate,
    BodyLogin,
    CylinderCreate,
    CylinderCreateValveTypeType0,
    CylinderOut,
    EnterpriseCreate,
    EpcisDocument,
    FillAuthorizationOut,
    FillAuthorizationOutDecision,
    FillAuthorizationRequest,
    FillCreate,
    FillOut,
    HistoryPage,
    ImportCylindersFilesBody,
    ImportReport,
    Licence,
    Problem,
    StationCreate,
    TokenOut,
)
from ct_client.types import File


def person(base_url: str, username: str, password: str) -> AuthenticatedClient:
    """Log in (OAuth2 password form) and carry the bearer token."""
    answer = login.sync(client=Client(base_url=base_url),
                        body=BodyLogin(username=username, password=password))
    assert isinstance(answer, TokenOut), answer
    return AuthenticatedClient(base_url=base_url, token=answer.access_token)


def station(base_url: str, key: str) -> AuthenticatedClient:
    """A station's appliance: the key goes in X-API-Key, with no prefix."""
    return AuthenticatedClient(base_url=base_url, token=key, prefix="",
                               auth_header_name="X-API-Key")


def cylinder(admin: AuthenticatedClient, owner: UUID, serial: str,
             valve: CylinderCreateValveTypeType0 | None = None) -> CylinderOut:
    body = CylinderCreate(manufacturer="百工钢瓶厂", serial_number=serial, model="YSP-35.5",
                          manufacture_date=date.today() - timedelta(days=400),
                          owner_enterprise_id=owner, valve_type=valve)
    made = register_cylinder.sync(client=admin, body=body)
    assert isinstance(made, CylinderOut), made
    return made


class Seen(TypedDict):
    """What the scenario hands back to the test, each as the generated client types it."""

    conflict: Problem
    validation: Problem
    history_kinds: list[str]
    pages: int
    epcis: EpcisDocument
    report: ImportReport
    fill: FillOut
    refused: FillAuthorizationOut


def run(base_url: str, username: str, password: str, credit_code: str) -> Seen:
    """Everything an integrator does first; returns what the test checks further."""
    bad = login.sync_detailed(client=Client(base_url=base_url),
                              body=BodyLogin(username=username, password=password + "x"))
    assert bad.status_code == 401 and isinstance(bad.parsed, Problem), bad
    admin = person(base_url, username, password)

    enterprise = create_enterprise.sync(client=admin, body=EnterpriseCreate(
        name="渝北燃气", credit_code=credit_code, region_code="500112",
        filling_licence=Licence(number="TS-1", valid_from=date(2020, 1, 1),
                                valid_until=date.today() + timedelta(days=3650))))
    assert not isinstance(enterprise, Problem) and enterprise is not None, enterprise
    made = create_station.sync(client=admin, body=StationCreate(
        enterprise_id=enterprise.id, name="一号充装站", address="渝北区"))
    assert not isinstance(made, Problem) and made is not None, made
    key = create_api_key.sync(made.id, client=admin, body=ApiKeyCreate(label="scale 1"))
    assert not isinstance(key, Problem) and key is not None, key
    scale = station(base_url, key.key)

    good = cylinder(admin, enterprise.id, "SN-GOOD-1")
    banned = cylinder(admin, enterprise.id, "SN-TWO-PHASE-1",
                      CylinderCreateValveTypeType0.TWO_PHASE)

    # 409: one serial, one cylinder; read as a typed problem
    again = register_cylinder.sync_detailed(client=admin, body=CylinderCreate(
        manufacturer="百工钢瓶厂", serial_number="SN-GOOD-1", model="YSP-35.5",
        manufacture_date=date.today() - timedelta(days=400), owner_enterprise_id=enterprise.id))
    assert again.status_code == 409 and isinstance(again.parsed, Problem), again
    conflict = again.parsed

    allowed = authorize_fill.sync(client=scale, body=FillAuthorizationRequest(scan=good.qr_text))
    assert isinstance(allowed, FillAuthorizationOut), allowed
    assert allowed.decision == FillAuthorizationOutDecision.ALLOW, allowed
    refused = authorize_fill.sync(client=scale,
                                  body=FillAuthorizationRequest(scan=banned.qr_text))
    assert isinstance(refused, FillAuthorizationOut), refused
    assert refused.decision == FillAuthorizationOutDecision.DENY
    assert refused.authorization_id is None
    # a person's token is no station key: refused, typed
    person_try = authorize_fill.sync_detailed(
        client=admin, body=FillAuthorizationRequest(scan=good.qr_text))
    assert person_try.status_code == 403 and isinstance(person_try.parsed, Problem)

    assert isinstance(allowed.authorization_id, UUID)
    # 422: the server's validation problem, with its errors[], parsed as a Problem
    invalid = record_fill.sync_detailed(client=scale, body=FillCreate(
        authorization_id=allowed.authorization_id, net_kg=-1))
    assert invalid.status_code == 422 and isinstance(invalid.parsed, Problem), invalid
    validation = invalid.parsed

    fill = FillCreate(authorization_id=allowed.authorization_id, net_kg=14.5, gross_kg=29.5)
    idem = f"fill-{allowed.authorization_id}"
    first = record_fill.sync_detailed(client=scale, body=fill, idempotency_key=idem)
    retry = record_fill.sync_detailed(client=scale, body=fill, idempotency_key=idem)
    assert isinstance(first.parsed, FillOut) and isinstance(retry.parsed, FillOut), (first, retry)
    assert first.parsed.id == retry.parsed.id and first.status_code == 201

    kinds: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = get_history.sync(good.code, client=admin, limit=1, cursor=cursor)
        assert isinstance(page, HistoryPage), page
        kinds += [event.kind for event in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    epcis = export_epcis_events.sync(client=admin, since=date.today() - timedelta(days=1),
                                     until=date.today() + timedelta(days=1))
    assert isinstance(epcis, EpcisDocument), epcis

    csv = ("manufacturer,serial_number,model,manufacture_date\n"
           f"百工钢瓶厂,SN-CSV-1,YSP-35.5,{date.today() - timedelta(days=30)}\n"
           "百工钢瓶厂,SN-CSV-2,YSP-35.5,not-a-date\n").encode()
    report = import_cylinders.sync(client=admin, owner_enterprise_id=enterprise.id,
                                   body=ImportCylindersFilesBody(file=File(
                                       payload=io.BytesIO(csv), file_name="cylinders.csv",
                                       mime_type="text/csv")))
    assert isinstance(report, ImportReport), report
    return {"conflict": conflict, "validation": validation, "history_kinds": kinds,
            "pages": pages, "epcis": epcis, "report": report, "fill": first.parsed,
            "refused": refused}
