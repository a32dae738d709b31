"""The public's reports (举报): received without an account, routed to the regulator of their
region as a case with a deadline, looked up by the reporter with the reference alone, answered by
a regulator in scope. Nothing here logs a reporter's contact; the phone is stored encrypted."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ..adapters import pii
from ..config import get_settings
from ..db.scope import visible
from ..db.tables.accounts import Enterprise
from ..db.tables.reports import PublicReport, ReportPhoto
from ..db.tables.supervision import CaseHandover
from ..domain import reports as rules
from ..domain.access import DEPARTMENT_TEXT, Action, Department, department_of
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.identifiers import is_valid_region_code
from ..domain.principal import Principal, Role, require_allowed, require_may
from . import audit, registry
from .notifications import notify
from .photos import checked_photo

log = logging.getLogger(__name__)

MAX_PHOTOS = 3


@dataclass(frozen=True)
class Submission:
    kind: str
    description: str
    scanned: str | None = None  # the cylinder's code or the label's text, as scanned or typed
    region_code: str | None = None  # where it happened, when no cylinder names the region
    place: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


def _clean(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    if "\x00" in value:
        raise Invalid("Text may not contain NUL characters")
    if len(value) > limit:
        raise Invalid(f"At most {limit} characters")
    return value or None


def submit(session: Session, form: Submission, photos: list[bytes],
           now: datetime | None = None) -> PublicReport:
    """Receive a report; the caller is anonymous. Routed to the region of the cylinder it names
    (its owner's region), else to the region the reporter gives."""
    now = now or datetime.now(UTC)
    try:
        kind = rules.ReportKind(form.kind)
    except ValueError as exc:
        raise Invalid(f"kind must be one of: {', '.join(k.value for k in rules.ReportKind)}",
                      reason="REPORT_KIND") from exc
    description = _clean(form.description, 2000)
    if description is None or len(description) < 5:
        raise Invalid("Say what you saw (at least 5 characters)", reason="REPORT_DESCRIPTION")
    if len(photos) > MAX_PHOTOS:
        raise Invalid(f"At most {MAX_PHOTOS} photos", reason="PHOTO_COUNT")
    checked = [checked_photo(p) for p in photos]
    phone = _clean(form.contact_phone, 20)
    if phone is not None and not (7 <= len(pii.normalize(phone)) <= 15
                                  and pii.normalize(phone).lstrip("+").isdigit()):
        raise Invalid("The phone number is not valid", reason="REPORT_PHONE")
    scanned = _clean(form.scanned, 200)
    cylinder = registry.find_by_parsed(session, registry.parse(scanned)) if scanned else None
    enterprise = session.get(Enterprise, cylinder.owner_enterprise_id) if cylinder else None
    region = enterprise.region_code if enterprise else (form.region_code or "").strip()
    if not is_valid_region_code(region):
        raise Invalid("Name the cylinder, or the district (six-digit region code) where it "
                      "happened", reason="REPORT_REGION")
    place = _clean(form.place, 200)
    report = PublicReport(
        reference=rules.new_reference(registry.today()), kind=kind.value,
        description=description, cylinder_id=cylinder.id if cylinder else None,
        enterprise_id=enterprise.id if enterprise else None, region_code=region, place=place,
        scanned=scanned,  # kept as scanned: an unknown or forged label is evidence
        contact_name=_clean(form.contact_name, 60),
        contact_phone_enc=pii.encrypt(phone) if phone else None,
        status=rules.ReportStatus.OPEN.value,
        due_at=rules.answer_due(now, get_settings().report_answer_days))
    session.add(report)
    session.flush()
    for p in checked:
        session.add(ReportPhoto(report_id=report.id, media_type=p.media_type, size=len(p.data),
                                data=p.data))
    zh, en = rules.KIND_TEXT[kind]
    # The regulators of the region are told; the company is not (a report may be about it).
    notify(session, "public_report", report.reference, enterprise_id=None, region_code=region,
           title_zh=f"群众举报：{zh}", title_en=f"Public report: {en}",
           payload={"reference": report.reference, "kind": kind.value,
                    "cylinder": cylinder.code if cylinder else None,
                    "due_at": report.due_at.isoformat()}, now=now)
    session.flush()
    session.refresh(report)
    log.info("public report received", extra={"reference": report.reference})
    return report


def public_view(session: Session, reference: str) -> dict[str, Any]:
    """What the reporter sees with the reference: the case's state, never anyone's data."""
    reference = reference.strip().upper()
    report = (session.exec(select(PublicReport).where(col(PublicReport.reference) == reference))
              .first() if rules.is_reference(reference) else None)
    if report is None:
        raise NotFound("No report has this reference")
    status = rules.ReportStatus(report.status)
    return {"reference": report.reference, "kind": report.kind,
            "kind_zh": rules.KIND_TEXT[rules.ReportKind(report.kind)][0],
            "status": status.value, "status_zh": rules.STATUS_TEXT[status][0],
            "status_en": rules.STATUS_TEXT[status][1], "received_at": report.created_at,
            "due_at": report.due_at, "answered_at": report.answered_at,
            "answer": report.answer}


def _may_handle(principal: Principal) -> None:
    """Reports are read by those who handle them (the companies they may be about do not)."""
    require_allowed(principal, Action.ANSWER_REPORT)


def listing(session: Session, principal: Principal, status: str | None = None,
            limit: int = 200) -> list[PublicReport]:
    """The reports of the caller's regions: open ones first, the nearest deadline first."""
    _may_handle(principal)
    query = select(PublicReport).where(visible(principal, col(PublicReport.enterprise_id),
                                               col(PublicReport.region_code)))
    if principal.role == Role.REGULATOR:
        query = query.where(_department_sees(principal))
    if status:
        query = query.where(col(PublicReport.status) == status)
    closed = col(PublicReport.status).in_([s.value for s in rules.CLOSED])
    return list(session.exec(query.order_by(closed, col(PublicReport.due_at)).limit(limit)))


def report_for(session: Session, principal: Principal, report_id: uuid.UUID) -> PublicReport:
    _may_handle(principal)
    report = session.get(PublicReport, report_id)
    if report is None:
        raise NotFound("No such report")
    principal.require_sees(None, report.region_code)
    if principal.role == Role.REGULATOR and not session.exec(
            select(PublicReport.id).where(col(PublicReport.id) == report.id,
                                          _department_sees(principal))).first():
        raise NotFound("No such report in your department")
    return report


def _department_sees(principal: Principal) -> Any:
    """A department sees the cases it holds and those it handed over or was handed (线索移交:
    both sides follow the case's state)."""
    mine = department_of(principal.department).value
    handed = select(CaseHandover.report_id).where(
        or_(col(CaseHandover.from_department) == mine, col(CaseHandover.to_department) == mine))
    return or_(col(PublicReport.department) == mine, col(PublicReport.id).in_(handed))


def _holder(principal: Principal, report: PublicReport) -> None:
    if principal.role == Role.REGULATOR and \
            department_of(principal.department).value != report.department:
        raise Forbidden(f"The case is now the {report.department} department's",
                        reason="NOT_YOUR_CASE")


def hand_over(session: Session, principal: Principal, report_id: uuid.UUID, to_department: str,
              note: str) -> PublicReport:
    """线索移交: the department holding a case hands it to another; the case keeps its
    reference and deadline, and both departments keep seeing it."""
    require_allowed(principal, Action.HAND_OVER_CASE)
    report = report_for(session, principal, report_id)
    session.refresh(report, with_for_update=True)
    _holder(principal, report)
    try:
        to = Department(to_department)
    except ValueError as exc:
        raise Invalid("to_department is market | housing | transport | emergency | fire",
                      reason="DEPARTMENT") from exc
    if to.value == report.department:
        raise Conflict("The case is already that department's", reason="SAME_DEPARTMENT")
    if rules.ReportStatus(report.status) in rules.CLOSED:
        raise Conflict("A closed case is not handed over", reason="REPORT_STATE")
    session.add(CaseHandover(report_id=report.id, from_department=report.department,
                             to_department=to.value, note=note, actor=principal.actor))
    audit.record(session, principal, "report.hand_over", "public_report", report.id,
                 enterprise_id=report.enterprise_id, region_code=report.region_code,
                 before={"department": report.department},
                 after={"department": to.value, "note": note})
    report.department = to.value
    session.add(report)
    zh = DEPARTMENT_TEXT[to][0]
    notify(session, "case_handed_over", f"{report.reference}:{to.value}", enterprise_id=None,
           region_code=report.region_code, title_zh=f"线索移交至{zh}：{report.reference}",
           title_en=f"Case {report.reference} handed to {to.value}",
           payload={"reference": report.reference, "to_department": to.value})
    session.flush()
    session.refresh(report)
    return report


def handovers_of(session: Session, report: PublicReport) -> list[CaseHandover]:
    return list(session.exec(select(CaseHandover).where(col(CaseHandover.report_id) == report.id)
                             .order_by(col(CaseHandover.created_at))))


def photos_of(session: Session, report: PublicReport) -> list[ReportPhoto]:
    return list(session.exec(select(ReportPhoto).where(col(ReportPhoto.report_id) == report.id)
                             .order_by(col(ReportPhoto.created_at))))


def photo_for(session: Session, principal: Principal, photo_id: uuid.UUID) -> ReportPhoto:
    photo = session.get(ReportPhoto, photo_id)
    if photo is None:
        raise NotFound("No such photo")
    report_for(session, principal, photo.report_id)
    return photo


def answer(session: Session, principal: Principal, report_id: uuid.UUID, status: str,
           answer_text: str | None) -> PublicReport:
    """Move the case (open → verifying → answered / unfounded); a closed case stays closed.
    Two answers at once: the row lock makes the second see the first's state."""
    report = report_for(session, principal, report_id)
    session.refresh(report, with_for_update=True)
    _holder(principal, report)
    try:
        new = rules.ReportStatus(status)
    except ValueError as exc:
        raise Invalid("status must be verifying, answered or unfounded",
                      reason="REPORT_STATUS") from exc
    if not rules.may_move(rules.ReportStatus(report.status), new):
        raise Conflict(f"A report that is {report.status} cannot become {new.value}",
                       reason="REPORT_STATE")
    answer_text = _clean(answer_text, 2000)
    if new in rules.CLOSED and not answer_text:
        raise Invalid("Closing a report needs an answer to the reporter", reason="REPORT_ANSWER")
    audit.record(session, principal, f"report.{new.value}", "public_report", report.id,
                 enterprise_id=report.enterprise_id, region_code=report.region_code,
                 before={"status": report.status}, after={"status": new.value,
                                                          "answer": answer_text})
    report.status = new.value
    if answer_text:
        report.answer = answer_text
    if new in rules.CLOSED:
        report.answered_at = datetime.now(UTC)
        report.answered_by = principal.actor
    session.add(report)
    session.flush()
    session.refresh(report)
    return report


def masked_phone(report: PublicReport) -> str | None:
    return pii.mask_phone(pii.decrypt(report.contact_phone_enc)) if report.contact_phone_enc \
        else None


def set_public_contacts(session: Session, principal: Principal, enterprise_id: uuid.UUID,
                        complaint_phone: str | None, emergency_phone: str | None) -> Enterprise:
    """The company's complaint line and 24-hour emergency number, shown on its cylinders'
    public page; set by the company itself (or the platform)."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise")
    principal.require_sees(enterprise.id, enterprise.region_code)
    require_allowed(principal, Action.SET_PUBLIC_CONTACTS)
    require_may(principal, Action.SET_PUBLIC_CONTACTS, enterprise.id, enterprise.region_code)
    for value in (complaint_phone, emergency_phone):
        v = _clean(value, 30)
        if v is not None and not all(ch.isdigit() or ch in "+- " for ch in v):
            raise Invalid("A phone number has digits, spaces, + and - only", reason="PHONE")
    audit.record(session, principal, "enterprise.public_contacts", "enterprise", enterprise.id,
                 enterprise_id=enterprise.id, region_code=enterprise.region_code,
                 before={"complaint_line": enterprise.complaint_phone,
                         "emergency_line": enterprise.emergency_phone},
                 after={"complaint_line": complaint_phone, "emergency_line": emergency_phone})
    enterprise.complaint_phone = _clean(complaint_phone, 30)
    enterprise.emergency_phone = _clean(emergency_phone, 30)
    session.add(enterprise)
    session.flush()
    session.refresh(enterprise)
    return enterprise
