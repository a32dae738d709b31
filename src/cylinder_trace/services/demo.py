"""A small, realistic demo data set: two companies, three stations, their people."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ..adapters.security import hash_password
from ..db.tables.accounts import AppUser, Enterprise, Station
from ..db.tables.agencies import Agency
from ..domain import models_spec
from ..domain.identifiers import credit_code_check
from ..domain.principal import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo credential, not a secret


def _credit(body17: str) -> str:
    return body17 + credit_code_check(body17)


def load_demo(session: Session) -> str:
    """Load once; a second run leaves the data as it is."""
    if session.scalars(
        select(Enterprise).where(col(Enterprise.name).startswith("【演示】"))
    ).first():
        return "demo data already loaded / 演示数据已存在"
    # Validity relative to the day the demo is loaded, so it shows the same picture on any day:
    # one licence expiring within weeks (the digests and the pages mark it), the rest in force.
    from .registry import today as local_today

    today = local_today()
    companies = [
        Enterprise(
            name="【演示】渝通燃气有限公司",
            credit_code=_credit("91500103MA5U7A1B2"),
            region_code="500103",
            filling_licence_number="TS4250001-2027",
            filling_licence_valid_from=today - timedelta(days=3 * 365),
            filling_licence_valid_until=today + timedelta(days=455),
            filling_licence_status="valid",
            operating_licence_number="渝燃经2023001",
            operating_licence_valid_until=today + timedelta(days=2 * 365),
            operating_licence_status="valid",
        ),
        Enterprise(
            name="【演示】江北液化气站",
            credit_code=_credit("91500105MA60B3C4D"),
            region_code="500105",
            filling_licence_number="TS4250002-2026",
            filling_licence_valid_from=today - timedelta(days=4 * 365),
            filling_licence_valid_until=today + timedelta(days=14),
            filling_licence_status="valid",
        ),
    ]
    session.add_all(companies)
    session.flush()
    stations = [
        Station(
            enterprise_id=companies[0].id,
            name="渝中充装站",
            address="重庆市渝中区长江路1号",
            region_code="500103",
        ),
        Station(
            enterprise_id=companies[0].id,
            name="大坪充装站",
            address="重庆市渝中区大坪正街8号",
            region_code="500103",
        ),
        Station(
            enterprise_id=companies[1].id,
            name="江北充装站",
            address="重庆市江北区建新北路9号",
            region_code="500105",
        ),
    ]
    session.add_all(stations)
    agency = Agency(name="【演示】重庆市特种设备检测研究院",
                    credit_code=_credit("12500000MB1C2D3E4"),
                    region_code="500000", approval_number="TS7150001-2029",
                    approval_valid_from=today - timedelta(days=700),
                    approval_valid_until=today + timedelta(days=1100), approval_status="valid")
    session.add(agency)
    session.flush()
    pw = hash_password(DEMO_PASSWORD)
    people = [
        AppUser(username="admin", password_hash=pw, role=Role.PLATFORM_ADMIN),
        AppUser(
            username="yutong-admin",
            password_hash=pw,
            role=Role.ENTERPRISE_ADMIN,
            enterprise_id=companies[0].id,
        ),
        AppUser(
            username="jiangbei-admin",
            password_hash=pw,
            role=Role.ENTERPRISE_ADMIN,
            enterprise_id=companies[1].id,
        ),
        AppUser(
            username="operator-li",
            password_hash=pw,
            role=Role.OPERATOR,
            badge="OP-1001",
            enterprise_id=companies[0].id,
            certificate_number="R2-500103-0001",
            certificate_valid_until=today + timedelta(days=940),
        ),
        AppUser(
            username="worker-wang",
            password_hash=pw,
            role=Role.DELIVERY_WORKER,
            enterprise_id=companies[0].id,
            certificate_number="SQ-500103-0007",
            certificate_valid_until=today + timedelta(days=670),
        ),
        AppUser(  # an inspection agency's inspector, with the inspector's own certificate
            username="inspector-zhao",
            password_hash=pw,
            role=Role.INSPECTOR,
            agency_id=agency.id,
            region_codes=[agency.region_code],
            certificate_number="JY-500000-0012",
            certificate_valid_until=today + timedelta(days=900),
        ),
        AppUser(
            username="regulator-chen",
            password_hash=pw,
            role=Role.REGULATOR,
            region_codes=["500000"],
        ),
    ]
    session.add_all(people)
    session.flush()
    counts = _demo_cylinders(session, companies, stations)
    _demo_campaign(session, companies)
    session.commit()  # the command line's own transaction (no request around it)
    return (
        f"demo data loaded / 演示数据已加载: 2 enterprises, 3 stations, 1 inspection agency, "
        f"{len(people)} users, "
        f"{counts.pop('registered')} cylinders, of which "
        f"{', '.join(f'{k} {v}' for k, v in counts.items())}; "
        f"every demo password is '{DEMO_PASSWORD}' (e.g. admin / regulator-chen)"
    )


def _demo_cylinders(
    session: Session, companies: list[Enterprise], stations: list[Station]
) -> dict[str, int]:
    """A few hundred cylinders per company, in every state the registry knows."""
    import random
    import uuid

    from ..db.tables.registry import Cylinder
    from ..domain.lifecycle import EventKind
    from ..domain.principal import Principal
    from ..schemas.agencies import InspectionCreate, ScrapAccept, ValveConversionCreate
    from ..schemas.lifecycle import ScrapCreate
    from . import inspections, registry
    from .events import append_event
    from .importer import import_csv

    rnd = random.Random(2026)  # noqa: S311 - demo data, not secrets
    system = Principal(kind="system", id=uuid.UUID(int=0), role=Role.PLATFORM_ADMIN,
                       username="demo")
    zhao = session.scalars(select(AppUser).where(col(AppUser.username) == "inspector-zhao")).one()
    agency_id = zhao.agency_id
    assert agency_id is not None
    # the agency's inspector records what only an agency may (services/inspections.py)
    inspector = Principal(kind="user", id=zhao.id, role=Role.INSPECTOR,
                          region_codes=tuple(zhao.region_codes), username=zhao.username)
    today = registry.today()
    counts: dict[str, int] = {}
    for n, company in enumerate(companies):
        lines = ["manufacturer,serial_number,model,manufacture_date,last_inspection_date,"
                 "next_inspection_due,rfid"]
        size = 240 if n == 0 else 120
        for i in range(size):
            model = rnd.choice(["YSP-35.5"] * 6 + ["YSP-12", "YSP-118", "YSP-118-II"])
            made = today - timedelta(days=rnd.randrange(200, 365 * 11))
            inspected = made + timedelta(days=rnd.randrange(0, max(1, (today - made).days)))
            due = inspected + timedelta(days=365 * 4)
            if i % 10 == 1:  # overdue for inspection
                due = today - timedelta(days=rnd.randrange(1, 400))
            elif i % 10 == 2:  # due within 30 days
                due = today + timedelta(days=rnd.randrange(0, 30))
            # never past its cycle: a registration may not carry a later date
            due = min(due, models_spec.latest_registered_due(made, inspected))
            tag = f"E280116060000{n}{i:010X}" if i % 2 == 0 else ""
            lines.append(f"{'百工钢瓶厂' if i % 3 else '华龙气瓶有限公司'},DEMO{n}{i:05d},{model},"
                         f"{made},{inspected},{max(due, inspected + timedelta(days=1))},{tag}")
        report = import_csv(session, system, ("\n".join(lines) + "\n").encode(), company.id)
        counts["registered"] = counts.get("registered", 0) + report.imported
        station_ids = [s.id for s in stations if s.enterprise_id == company.id]
        for i, code in enumerate(report.codes):
            if i % 10 not in (3, 4, 5, 6, 7):
                continue
            cylinder = registry.cylinder_for(session, system, code, for_update=True)
            if i % 10 == 3:
                inspections.record_inspection(session, inspector, code, InspectionCreate(
                    inspected_on=today - timedelta(days=20), result="fail",
                    report_number=f"JY{n}{i:05d}"))
                counts["failed"] = counts.get("failed", 0) + 1
            elif i % 10 == 7 and cylinder.valve_type == "two_phase":
                inspections.convert_valve(session, inspector, code, ValveConversionCreate(
                    converted_on=today - timedelta(days=10), report_number=f"GZ{n}{i:05d}",
                    smart_valve_id=f"SV{n}{i:06d}"))
                counts["converted"] = counts.get("converted", 0) + 1
            elif i % 10 == 4:
                append_event(session, cylinder, EventKind.SEIZED, system,
                             {"reason": "非法充装查处 / seized in an illegal-filling case"})
                counts["seized"] = counts.get("seized", 0) + 1
            elif i % 10 == 5 and i % 20 == 5:
                # handed to the agency by the company; the agency scraps it (报废)
                inspections.hand_over(session, system, code, ScrapCreate(
                    agency_id=agency_id, reason="超出设计使用年限 / past its service life"))
                if i % 60 == 45:  # a few still wait at the agency
                    counts["at_agency"] = counts.get("at_agency", 0) + 1
                    continue
                inspections.accept_scrap(session, inspector, code, ScrapAccept(
                    certificate_number=f"BF{n}{i:05d}"))
                counts["scrapped"] = counts.get("scrapped", 0) + 1
            elif i % 10 == 6 and station_ids:
                append_event(session, cylinder, EventKind.FILLED, system,
                             {"station_id": str(station_ids[i % len(station_ids)]),
                              "net_kg": round(cylinder.max_fill_kg - rnd.random() * 0.3, 2)},
                             station_id=station_ids[i % len(station_ids)])
                counts["filled"] = counts.get("filled", 0) + 1
        session.flush()
    counts.update(_demo_deliveries(session, companies[0], system))
    counts["two_phase"] = int(session.scalar(
        select(func.count()).select_from(Cylinder).where(col(Cylinder.valve_type) == "two_phase")
    ) or 0)
    return counts


def _demo_deliveries(session: Session, company: Enterprise, system: Any) -> dict[str, int]:
    """Customers, a vehicle, deliveries at the door (one with a hazard), and a recall."""
    from ..db.tables.accounts import Vehicle, VehicleWorker
    from ..db.tables.registry import Cylinder
    from ..domain.identifiers import id_number_check
    from ..domain.status import PublicStatus
    from ..schemas.lifecycle import CustomerCreate, DeliveryConfirm, DeliveryCreate, RecallCreate
    from . import registry
    from .custody import start_recall
    from .customers import create_customer
    from .delivery import confirm, dispatch

    today = registry.today()
    worker = session.scalars(select(AppUser).where(col(AppUser.username) == "worker-wang")).one()
    vehicle = Vehicle(enterprise_id=company.id, plate="渝A·D1234", permit_number="渝危运 500103001",
                      permit_valid_until=today + timedelta(days=400))
    session.add(vehicle)
    session.flush()
    session.add(VehicleWorker(vehicle_id=vehicle.id, user_id=worker.id))
    body17 = "50010319800101123"
    resident = create_customer(session, system, CustomerCreate(
        enterprise_id=company.id, kind="resident", name="张三",
        id_number=body17 + id_number_check(body17), phone="13800138000",
        address="重庆市渝中区解放碑民族路88号"))
    restaurant = create_customer(session, system, CustomerCreate.model_validate({
        "enterprise_id": company.id, "kind": "non_resident", "name": "老码头火锅店",
        "id_number": "92500103MA5YDEMO0X", "phone": "02363001234",
        "address": "重庆市渝中区朝天门1号", "contract": {
            "number": "YQHT-2026-0001", "valid_until": str(today + timedelta(days=300))}}))
    full = session.scalars(select(Cylinder).where(
        col(Cylinder.owner_enterprise_id) == company.id, col(Cylinder.filled),
        col(Cylinder.location_kind) == "station", col(Cylinder.valve_type) == "single_phase",
        ~col(Cylinder.seized), col(Cylinder.status) == "active").order_by(col(Cylinder.id))).all()
    full = [c for c in full if registry.status_of(c, today) == PublicStatus.IN_SERVICE][:6]
    codes = [c.code for c in full]
    # the last two stay on the vehicle: worker-wang's open dispatches in the phone app (/app/)
    plans = [(resident, codes[:2], False), (restaurant, codes[2:3], True),
             (resident, codes[3:5], None), (restaurant, codes[5:6], None)]
    delivered = 0
    for customer, batch, passed in plans:
        if not batch:
            continue
        d = dispatch(session, system, DeliveryCreate(worker_id=worker.id, vehicle_id=vehicle.id,
                                                     customer_id=customer.id, codes=batch))
        session.flush()
        if passed is None:
            continue  # still on the vehicle
        items = [{"item": "no_leak", "ok": True},
                 {"item": "hose_ok", "ok": passed, "note": None if passed else "软管老化开裂"}]
        confirm(session, system, d.id, DeliveryConfirm.model_validate({
            "scans": batch, "location": {"lat": 29.5576, "lon": 106.5771, "accuracy_m": 15},
            "safety_check": {"passed": passed, "items": items}}))
        delivered += len(batch)
    recall = start_recall(session, system, RecallCreate.model_validate({
        "reason": "阀门批次缺陷 / defective valve batch",
        "criteria": {"manufacturer": "华龙气瓶有限公司", "made_until": "2017-12-31"}}))
    return {"delivered": delivered, "recalled": recall.matched}


def _demo_campaign(session: Session, companies: list[Enterprise]) -> None:
    """The campaign's picture: each company's declared stock (底数, a little above what is
    registered), its public numbers, and one report from the public waiting for an answer."""
    from datetime import UTC, datetime, timedelta

    from ..db.tables.registry import Cylinder
    from ..db.tables.reports import PublicReport
    from ..db.tables.supervision import StockDeclaration
    from .registry import today as local_today

    for e, phones in zip(companies, (("023-6380 1234", "023-96999"),
                                     ("023-6770 5678", "023-96888")), strict=True):
        e.complaint_phone, e.emergency_phone = phones
        registered = session.scalar(select(func.count()).select_from(Cylinder).where(
            col(Cylinder.owner_enterprise_id) == e.id)) or 0
        session.add(StockDeclaration(enterprise_id=e.id, region_code=e.region_code,
                                     declared_stock=registered + registered // 5,
                                     declared_on=local_today(), actor="system:demo"))
    now = datetime.now(UTC)
    session.add(PublicReport(
        reference="JB-20260101-DEM0REP1", kind="forbidden_premises",
        description="解放碑附近一家火锅店把液化气瓶放在地下室使用 / cylinders used in a basement",
        enterprise_id=companies[0].id, region_code=companies[0].region_code,
        place="渝中区解放碑", status="open", created_at=now - timedelta(days=2),
        due_at=now + timedelta(days=5)))
