"""Every reason, warning and fill flag the service gives, with its Chinese and English text."""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Why a fill is refused (product.md). Each one alone denies."""

    UNREGISTERED = "UNREGISTERED"
    CODE_MISMATCH = "CODE_MISMATCH"
    SCRAPPED = "SCRAPPED"
    RECALLED = "RECALLED"
    SEIZED = "SEIZED"
    INSPECTION_OVERDUE = "INSPECTION_OVERDUE"
    INSPECTION_FAILED = "INSPECTION_FAILED"
    SERVICE_LIFE_EXCEEDED = "SERVICE_LIFE_EXCEEDED"
    REFURBISHED = "REFURBISHED"
    NOT_OWNED = "NOT_OWNED"
    TWO_PHASE_VALVE = "TWO_PHASE_VALVE"
    STATION_NOT_LICENSED = "STATION_NOT_LICENSED"
    OPERATOR_NOT_CERTIFIED = "OPERATOR_NOT_CERTIFIED"
    FILL_IN_PROGRESS = "FILL_IN_PROGRESS"
    STATION_LOCKED = "STATION_LOCKED"
    NO_SMART_VALVE = "NO_SMART_VALVE"  # only where the region's policy requires one
    PRE_FILL_CHECK_FAILED = "PRE_FILL_CHECK_FAILED"  # the operator's check at the scale failed


class WarningCode(StrEnum):
    """Worth telling the operator; the fill is still allowed."""

    INSPECTION_DUE_SOON = "INSPECTION_DUE_SOON"
    SERVICE_LIFE_ENDING = "SERVICE_LIFE_ENDING"
    NOT_RETURNED = "NOT_RETURNED"


class FillFlag(StrEnum):
    """Recorded on a fill and shown to regulators: never silently accepted."""

    OVERFILL = "OVERFILL"
    MASS_MISMATCH = "MASS_MISMATCH"
    # the badge on the fill record is not a certified operator of the station's company (the
    # same rule that refuses it at authorization); its text is the reason's (MESSAGES)
    OPERATOR_NOT_CERTIFIED = "OPERATOR_NOT_CERTIFIED"


MESSAGES: dict[str, tuple[str, str]] = {
    ReasonCode.UNREGISTERED: (
        "未建档或标签无效（编码未知、格式错误或签名无法验证），禁止充装",
        "Not registered, or the label is invalid (unknown code, malformed, or the signature "
        "does not verify): do not fill",
    ),
    ReasonCode.CODE_MISMATCH: (
        "二维码与电子标签不属于同一只气瓶（疑似克隆标签），禁止充装",
        "The QR code and the RFID tag belong to different cylinders (cloned label?): do not fill",
    ),
    ReasonCode.SCRAPPED: ("气瓶已报废，禁止充装", "The cylinder is scrapped: do not fill"),
    ReasonCode.RECALLED: ("气瓶处于召回中，禁止充装", "The cylinder is recalled: do not fill"),
    ReasonCode.SEIZED: ("气瓶已被查封或列入黑名单，禁止充装",
                        "The cylinder is seized or blacklisted: do not fill"),
    ReasonCode.INSPECTION_OVERDUE: ("气瓶超期未检，禁止充装",
                                    "The cylinder is overdue for inspection: do not fill"),
    ReasonCode.INSPECTION_FAILED: ("气瓶最近一次检验不合格，禁止充装",
                                   "The cylinder failed its latest inspection: do not fill"),
    ReasonCode.SERVICE_LIFE_EXCEEDED: ("气瓶超出设计使用年限，禁止充装",
                                       "The cylinder is past its service life: do not fill"),
    ReasonCode.REFURBISHED: ("翻新气瓶，禁止充装", "A refurbished cylinder: do not fill"),
    ReasonCode.NOT_OWNED: ("非本单位自有产权或托管气瓶，禁止充装",
                           "Not this company's own or entrusted cylinder: do not fill"),
    ReasonCode.TWO_PHASE_VALVE: ("气液双相气瓶，禁止充装",
                                 "A gas-liquid two-phase valve cylinder: do not fill"),
    ReasonCode.STATION_NOT_LICENSED: (
        "充装站或其企业的气瓶充装许可缺失、过期、暂停或被吊销",
        "The station's or its company's filling licence is missing, expired, suspended or revoked",
    ),
    ReasonCode.OPERATOR_NOT_CERTIFIED: (
        "充装人员无有效特种设备作业人员证",
        "The operator has no valid special-equipment operator certificate",
    ),
    ReasonCode.FILL_IN_PROGRESS: (
        "该气瓶正在其他充装站充装（已有未过期的充装授权）",
        "This cylinder has an open authorization at another station",
    ),
    ReasonCode.STATION_LOCKED: ("监管部门已远程锁定本站充装",
                                "The regulator has locked filling at this station"),
    ReasonCode.NO_SMART_VALVE: ("本地区要求安装智能角阀，该气瓶未安装",
                                "This region requires a smart angle valve; none is fitted"),
    ReasonCode.PRE_FILL_CHECK_FAILED: (
        "充装前检查不合格，禁止充装，气瓶送检",
        "The pre-fill check failed: do not fill; the cylinder goes to inspection",
    ),
    WarningCode.INSPECTION_DUE_SOON: ("气瓶即将到期检验", "The cylinder's inspection is due soon"),
    WarningCode.SERVICE_LIFE_ENDING: ("气瓶即将达到设计使用年限",
                                      "The cylinder's service life ends soon"),
    WarningCode.NOT_RETURNED: ("记录显示该气瓶仍在用户处，未登记回收",
                               "The record places this cylinder at a customer: not returned"),
    FillFlag.OVERFILL: ("充装量超过最大充装量", "Net mass above the cylinder's maximum fill"),
    FillFlag.MASS_MISMATCH: (
        "实测皮重与登记皮重不符（疑似换标或错瓶）",
        "The weighed tare does not match the registered tare (relabelled or wrong cylinder?)",
    ),
}


def as_dict(code: str) -> dict[str, str]:
    """A reason, warning or flag as the API gives it."""
    zh, en = MESSAGES[code]
    return {"code": str(code), "message_zh": zh, "message_en": en}
