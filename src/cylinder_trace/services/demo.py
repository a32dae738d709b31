"""A small, realistic demo data set: two companies, three stations, their people."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from ..auth import Role
from ..domain.identifiers import credit_code_check
from ..models import AppUser, Enterprise, Station
from ..security import hash_password

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo credential, not a secret


def _credit(body17: str) -> str:
    return body17 + credit_code_check(body17)


def load_demo(session: Session) -> str:
    """Load once; a second run leaves the data as it is."""
    if session.scalars(
        select(Enterprise).where(col(Enterprise.name).startswith("【演示】"))
    ).first():  # type: ignore[attr-defined]
        return "demo data already loaded / 演示数据已存在"
    companies = [
        Enterprise(
            name="【演示】渝通燃气有限公司",
            credit_code=_credit("91500103MA5U7A1B2"),
            region_code="500103",
            filling_licence_number="TS4250001-2027",
            filling_licence_valid_from=date(2023, 3, 1),
            filling_licence_valid_until=date(2027, 2, 28),
            filling_licence_status="valid",
            operating_licence_number="渝燃经2023001",
            operating_licence_valid_until=date(2028, 12, 31),
            operating_licence_status="valid",
        ),
        Enterprise(
            name="【演示】江北液化气站",
            credit_code=_credit("91500105MA60B3C4D"),
            region_code="500105",
            filling_licence_number="TS4250002-2026",
            filling_licence_valid_from=date(2022, 1, 1),
            filling_licence_valid_until=date(2026, 12, 15),
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
            certificate_valid_until=date(2028, 6, 30),
        ),
        AppUser(
            username="worker-wang",
            password_hash=pw,
            role=Role.DELIVERY_WORKER,
            enterprise_id=companies[0].id,
            certificate_number="SQ-500103-0007",
            certificate_valid_until=date(2027, 9, 30),
        ),
        AppUser(
            username="inspector-zhao",
            password_hash=pw,
            role=Role.INSPECTOR,
            region_codes=["500000"],
        ),
        AppUser(
            username="regulator-chen",
            password_hash=pw,
            role=Role.REGULATOR,
            region_codes=["500000"],
        ),
    ]
    session.add_all(people)
    session.commit()
    return (
        f"demo data loaded / 演示数据已加载: 2 enterprises, 3 stations, {len(people)} users; "
        f"every demo password is '{DEMO_PASSWORD}' (e.g. admin / regulator-chen)"
    )
