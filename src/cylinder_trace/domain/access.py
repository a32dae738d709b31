"""Who may do what: one permission table, who may lift what, and who may create which account.

Pure (standard library only). Routes declare their action (``dependencies=[auth.acts(Action.X)]``)
and the services check the target against the same row's scope (``auth.require_may``), so one
row here is the whole answer to "who may do X". ``docs/security.md`` prints this table
(``markdown_table``), and ``tests/domain/test_access.py`` checks every row and the page.

Adding an actor (an inspection agency's role, say) is adding a ``Role`` member and its cell in the
rows it may do; adding an action is one ``_row`` line.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    ENTERPRISE_ADMIN = "enterprise_admin"
    OPERATOR = "operator"
    DELIVERY_WORKER = "delivery_worker"
    INSPECTOR = "inspector"
    REGULATOR = "regulator"
    STATION = "station"  # an appliance calling with its station's API key


# Roles that belong to one enterprise and see only its data.
ENTERPRISE_ROLES = frozenset(
    {Role.ENTERPRISE_ADMIN, Role.OPERATOR, Role.DELIVERY_WORKER, Role.STATION}
)


class Scope(StrEnum):
    """How far a grant reaches; the service checks the target against it."""

    OWN = "own"  # the caller's own enterprise (a delivery worker: also their own deliveries)
    REGION = "region"  # the caller's regions (and an inspector's own enterprise): Principal.sees
    PLATFORM = "platform"  # everything


class Side(StrEnum):
    """Who stands behind an action, for lifting: a company never undoes its regulator."""

    COMPANY = "company"
    AGENCY = "agency"  # an inspection agency: independent of the company it inspects
    REGULATOR = "regulator"


_SIDE = {Role.PLATFORM_ADMIN: Side.REGULATOR, Role.REGULATOR: Side.REGULATOR,
         Role.INSPECTOR: Side.AGENCY}
_RANK = {Side.COMPANY: 0, Side.AGENCY: 1, Side.REGULATOR: 2}


def side_of(role: Role | str | None) -> Side:
    """The side of a role; an unknown taker (a record from before roles were kept) counts as the
    regulator, so nothing of unknown origin can be lifted by a company."""
    if role is None:
        return Side.REGULATOR
    try:
        return _SIDE.get(Role(role), Side.COMPANY)
    except ValueError:
        return Side.REGULATOR


class Action(StrEnum):
    REGISTER = "register"
    IMPORT = "import"
    BIND_TAG = "bind_tag"
    RECORD_INSPECTION = "record_inspection"
    CONVERT_VALVE = "convert_valve"
    AUTHORIZE_FILL = "authorize_fill"
    RECORD_FILL = "record_fill"
    FILL_CHECK = "fill_check"
    SEIZE = "seize"
    RELEASE = "release"
    RECALL = "recall"
    CLOSE_RECALL = "close_recall"
    LOCK_STATION = "lock_station"
    UNLOCK_STATION = "unlock_station"
    SCRAP = "scrap"  # hand a cylinder to an inspection agency for scrapping
    ACCEPT_SCRAP = "accept_scrap"  # the agency scraps a handed-over cylinder, or gives it back
    MANAGE_AGENCY = "manage_agency"
    TRANSFER = "transfer"
    ENTRUST = "entrust"
    DISPATCH = "dispatch"
    CONFIRM_DELIVERY = "confirm_delivery"
    CUSTOMER_CODE = "customer_code"
    OPEN_DISPATCHES = "open_dispatches"
    RETURN = "return"
    CLOSE_HAZARD = "close_hazard"
    MANAGE_CUSTOMER = "manage_customer"
    SEARCH_CUSTOMERS = "search_customers"
    CREATE_ENTERPRISE = "create_enterprise"
    MANAGE_STATION = "manage_station"
    MANAGE_KEYS = "manage_keys"
    MANAGE_VEHICLE = "manage_vehicle"
    CREATE_USER = "create_user"
    LIST_USERS = "list_users"
    MANAGE_USER = "manage_user"  # disable/enable, reset: the same people who create the account
    OWN_ACCOUNT = "own_account"  # one's own password and sessions
    WEBHOOK = "webhook"
    RUN_JOBS = "run_jobs"
    CHANGE_LICENCE = "change_licence"
    RECORD_ENFORCEMENT = "record_enforcement"
    DECLARE_STOCK = "declare_stock"
    ANSWER_REPORT = "answer_report"
    SET_PUBLIC_CONTACTS = "set_public_contacts"
    RECORD_VISIT = "record_visit"
    FIX_FIVE = "fix_five"
    CLOSE_MAJOR_HAZARD = "close_major_hazard"
    HAND_OVER_CASE = "hand_over_case"
    READ = "read"
    READ_AUDIT = "read_audit"  # the audit trail: how companies are held to account


@dataclass(frozen=True)
class Row:
    action: Action
    grants: Mapping[Role, Scope]
    zh: str
    en: str
    lifts: Action | None = None  # this action undoes that one (taker's side decides who may)


_PA, _EA, _OP, _DW = Role.PLATFORM_ADMIN, Role.ENTERPRISE_ADMIN, Role.OPERATOR, Role.DELIVERY_WORKER
_IN, _RG, _ST = Role.INSPECTOR, Role.REGULATOR, Role.STATION
_ROWS: list[Row] = []


def _row(action: Action, zh: str, en: str, *, own: Iterable[Role] = (),
         region: Iterable[Role] = (), lifts: Action | None = None, platform: bool = True) -> None:
    grants: dict[Role, Scope] = {_PA: Scope.PLATFORM} if platform else {}
    grants.update({r: Scope.OWN for r in own})
    grants.update({r: Scope.REGION for r in region})
    _ROWS.append(Row(action, MappingProxyType(grants), zh, en, lifts))


_A = Action
_row(_A.REGISTER, "气瓶建档", "register a cylinder", own=(_EA,))
_row(_A.IMPORT, "批量建档导入", "import cylinders (CSV)", own=(_EA,))
_row(_A.BIND_TAG, "绑定电子标签", "bind an RFID tag", own=(_EA,))
# What only an inspection agency records (issue 19): no company, no platform admin; the service
# also checks the agency's approval and the inspector's certificate (domain/agencies.py).
_row(_A.RECORD_INSPECTION, "登记定期检验·检验机构", "record an inspection (an agency's inspector)",
     region=(_IN,), platform=False)
_row(_A.CONVERT_VALVE, "双相阀改造·检验机构", "record a two-phase valve conversion (an agency)",
     region=(_IN,), platform=False)
_row(_A.AUTHORIZE_FILL, "扫码充装授权", "ask for a fill authorization", own=(_ST,),
     platform=False)
_row(_A.RECORD_FILL, "上报充装记录", "record a fill", own=(_ST,), platform=False)
_row(_A.FILL_CHECK, "充装预检·不写入", "check a fill (writes nothing)", own=(_EA, _OP, _DW, _ST))
_row(_A.SEIZE, "查封扣押", "seize a cylinder", own=(_EA,), region=(_RG,))
_row(_A.RELEASE, "解除查封", "release a seizure", own=(_EA,), region=(_RG,), lifts=_A.SEIZE)
_row(_A.RECALL, "发起召回", "start a recall", own=(_EA,), region=(_RG,))
_row(_A.CLOSE_RECALL, "关闭召回", "close a recall", own=(_EA,), region=(_RG,), lifts=_A.RECALL)
_row(_A.LOCK_STATION, "远程锁定充装站", "lock a station's filling", region=(_RG,))
_row(_A.UNLOCK_STATION, "解除充装站锁定", "unlock a station", region=(_RG,),
     lifts=_A.LOCK_STATION)
_row(_A.SCRAP, "移交检验机构报废", "hand a cylinder to an agency for scrapping", own=(_EA,),
     region=(_RG,))
_row(_A.ACCEPT_SCRAP, "检验机构接收报废或退回", "scrap a handed-over cylinder, or give it back",
     region=(_IN,), platform=False)
_row(_A.MANAGE_AGENCY, "检验机构登记、核准、检验人员",
     "register an agency, its approval, its inspectors")
_row(_A.TRANSFER, "产权置换", "transfer ownership", own=(_EA,))
_row(_A.ENTRUST, "托管", "entrust to another company", own=(_EA,))
_row(_A.DISPATCH, "配送出库", "dispatch a delivery", own=(_EA, _DW))
_row(_A.CONFIRM_DELIVERY, "入户交付确认", "confirm a delivery at the door", own=(_EA, _DW))
# the code proves the customer received the cylinders from the worker at the door: the
# delivery's own worker (Principal.assigned) or its company's admin, never the platform
_row(_A.CUSTOMER_CODE, "用户确认码", "submit the customer's delivery code", own=(_EA, _DW),
     platform=False)
_row(_A.OPEN_DISPATCHES, "待配送列表", "list open dispatches", own=(_EA, _DW))
_row(_A.RETURN, "空瓶回收", "record a return", own=(_EA, _OP, _DW, _ST))
_row(_A.CLOSE_HAZARD, "隐患整改销号", "close out a hazard", own=(_EA, _DW))
_row(_A.MANAGE_CUSTOMER, "用户建档、押金", "register customers, record deposits", own=(_EA,))
_row(_A.SEARCH_CUSTOMERS, "按证件号/电话查用户", "find a customer by ID or phone", own=(_EA,))
_row(_A.CREATE_ENTERPRISE, "企业登记", "register an enterprise")
_row(_A.MANAGE_STATION, "充装站管理", "create a station", own=(_EA,))
_row(_A.MANAGE_KEYS, "充装站密钥管理", "create, list, revoke station API keys", own=(_EA,))
_row(_A.MANAGE_VEHICLE, "车辆管理", "register a vehicle", own=(_EA,))
_row(_A.CREATE_USER, "创建账号·见角色规则", "create an account (see the role rule)", own=(_EA,))
_row(_A.LIST_USERS, "账号列表", "list accounts", own=(_EA,))
_row(_A.MANAGE_USER, "停用/启用账号", "disable or enable an account", own=(_EA,))
_row(_A.OWN_ACCOUNT, "本人账号·改密码、退出", "one's own account (password, logout)",
     own=(_EA, _OP, _DW), region=(_IN, _RG))
_row(_A.WEBHOOK, "订阅通知 Webhook", "register a webhook", own=(_EA,), region=(_RG,))
_row(_A.RUN_JOBS, "查看与运行定时任务", "see and run scheduled jobs")
_row(_A.CHANGE_LICENCE, "暂停、吊销、恢复、换发许可证", "suspend, revoke, reinstate, renew",
     region=(_RG,))
_row(_A.RECORD_ENFORCEMENT, "行政处罚、约谈、警告", "record a penalty, summons or warning",
     region=(_RG,))
_row(_A.DECLARE_STOCK, "申报气瓶底数", "declare a company's cylinder stock", region=(_RG,))
_row(_A.ANSWER_REPORT, "核查答复群众举报", "verify and answer a public report", region=(_RG,))
_row(_A.SET_PUBLIC_CONTACTS, "公示投诉、应急电话", "set the public complaint and emergency numbers",
     own=(_EA,))
_row(_A.RECORD_VISIT, "监督检查记录", "record a supervision visit", region=(_RG,))
_row(_A.FIX_FIVE, "重大隐患五定", "fix a major hazard's five (五定)", own=(_EA,), region=(_RG,))
_row(_A.CLOSE_MAJOR_HAZARD, "重大隐患销号", "close out a major hazard", region=(_RG,))
_row(_A.HAND_OVER_CASE, "线索移交", "hand a case to another department", region=(_RG,))
_row(_A.READ, "查询、检索、统计、导出", "read, search, statistics, exports",
     own=(_EA, _OP, _DW, _ST), region=(_IN, _RG))
_row(_A.READ_AUDIT, "查阅审计日志", "read the audit trail", region=(_RG,))

TABLE: Mapping[Action, Row] = MappingProxyType({row.action: row for row in _ROWS})


# --- departments: what each regulator's department may do -------------------------------------

class Department(StrEnum):
    """A regulator's department (the plans name them): its row grants are narrowed to what the
    department is charged with. A regulator recorded without one is the market regulator's, as
    every regulator was before departments were kept."""

    MARKET = "market"  # 市场监管: cylinders, filling, filling licences
    HOUSING = "housing"  # 住建/城管: gas operating licences
    TRANSPORT = "transport"  # 交通: vehicles and their permits
    EMERGENCY = "emergency"  # 应急管理
    FIRE = "fire"  # 消防救援


DEPARTMENT_TEXT: Mapping[Department, tuple[str, str]] = MappingProxyType({
    Department.MARKET: ("市场监管", "market regulation"),
    Department.HOUSING: ("住建/城管", "housing and city management"),
    Department.TRANSPORT: ("交通运输", "transport"),
    Department.EMERGENCY: ("应急管理", "emergency management"),
    Department.FIRE: ("消防救援", "fire and rescue"),
})

# Every department reads, inspects, records enforcement, answers and hands over cases.
_EVERY_DEPARTMENT = frozenset({_A.READ, _A.READ_AUDIT, _A.OWN_ACCOUNT, _A.WEBHOOK, _A.RECORD_VISIT,
                               _A.RECORD_ENFORCEMENT, _A.ANSWER_REPORT, _A.HAND_OVER_CASE})
_HAZARDS = frozenset({_A.FIX_FIVE, _A.CLOSE_MAJOR_HAZARD})
DEPARTMENT_ACTIONS: Mapping[Department, frozenset[Action]] = MappingProxyType({
    Department.MARKET: _EVERY_DEPARTMENT | _HAZARDS | {
        _A.SEIZE, _A.RELEASE, _A.RECALL, _A.CLOSE_RECALL, _A.LOCK_STATION, _A.UNLOCK_STATION,
        _A.CHANGE_LICENCE, _A.DECLARE_STOCK,
        _A.SCRAP},  # hands a seized cylinder to an inspection agency to be scrapped
    Department.HOUSING: _EVERY_DEPARTMENT | _HAZARDS | {_A.CHANGE_LICENCE, _A.DECLARE_STOCK},
    Department.TRANSPORT: _EVERY_DEPARTMENT,
    Department.EMERGENCY: _EVERY_DEPARTMENT | _HAZARDS,
    Department.FIRE: _EVERY_DEPARTMENT | _HAZARDS,
})


def department_of(value: str | None) -> Department:
    return Department(value) if value else Department.MARKET


def department_allows(role: Role | str, department: str | None, action: Action) -> bool:
    """Whether a regulator's department may do ``action`` (other roles: not narrowed)."""
    if Role(role) != Role.REGULATOR:
        return True
    return action in DEPARTMENT_ACTIONS[department_of(department)]
assert len(TABLE) == len(Action), "every action has exactly one row"


def scope_of(role: Role | str, action: Action) -> Scope | None:
    """How far this role may do this action; None: not at all."""
    try:
        return TABLE[action].grants.get(Role(role))
    except ValueError:
        return None


def lifted_by(action: Action) -> Action | None:
    """The action that undoes this one (SEIZE → RELEASE), if any."""
    return next((row.action for row in _ROWS if row.lifts == action), None)


def may_lift(taken_by: Role | str | None, lifter: Role | str) -> bool:
    """Whether ``lifter`` may undo an action its taker's side stands behind: a regulator's action
    (or one of unknown origin) only by a regulator or platform admin, never by the company it
    binds; the lifting action's row and scope are checked as for any action."""
    return _RANK[side_of(lifter)] >= _RANK[side_of(taken_by)]


# --- who may create which account ---------------------------------------------------------------

class AccountRefused(ValueError):
    """A creation the rule refuses; ``forbidden`` False means the request itself is incomplete."""

    def __init__(self, code: str, message: str, *, forbidden: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.forbidden = forbidden


@dataclass(frozen=True)
class AccountRule:
    creators: frozenset[Role]
    enterprise: str  # "required" | "optional" | "none"
    regions: str  # "required" | "optional" | "none" (inspector: regions or an enterprise)


# Enterprise roles get their creator's own enterprise and no regions; region-scoped roles (and
# platform admins) are created only by a platform admin. A regulator does not create regulators,
# even for its own sub-regions: a regulator account is an office the city appoints in writing, and
# an account that can multiply itself cannot be withdrawn by disabling one login.
ACCOUNT_RULES: Mapping[Role, AccountRule] = MappingProxyType({
    _EA: AccountRule(frozenset({_PA, _EA}), "required", "none"),
    _OP: AccountRule(frozenset({_PA, _EA}), "required", "none"),
    _DW: AccountRule(frozenset({_PA, _EA}), "required", "none"),
    # an agency's inspector: made with its agency (POST /agencies/{id}/inspectors), which gives
    # its region; never an enterprise's
    _IN: AccountRule(frozenset({_PA}), "none", "required"),
    _RG: AccountRule(frozenset({_PA}), "none", "required"),
    _PA: AccountRule(frozenset({_PA}), "none", "none"),
})


@dataclass(frozen=True)
class NewAccount:
    enterprise_id: uuid.UUID | None
    region_codes: tuple[str, ...]


def new_account(creator: Role | str, creator_enterprise_id: uuid.UUID | None, role: Role | str,
                enterprise_id: uuid.UUID | None, region_codes: Iterable[str],
                agency_id: uuid.UUID | None = None) -> NewAccount:
    """The enterprise and regions an account of ``role`` gets, or ``AccountRefused``.
    ``agency_id``: the inspection agency an inspector is made for (its region is the regions)."""
    creator, role = Role(creator), Role(role)
    regions = tuple(region_codes)
    rule = ACCOUNT_RULES.get(role)
    if rule is None or creator not in rule.creators:
        raise AccountRefused("ROLE_NOT_GRANTABLE",
                             f"A {creator.value} cannot create a {role.value} account")
    if role == _IN and agency_id is None:
        raise AccountRefused("INSPECTOR_NEEDS_AGENCY",
                             "Inspectors belong to an inspection agency: POST "
                             "/api/v1/agencies/{id}/inspectors", forbidden=False)
    if creator != _PA:  # an enterprise admin: its own enterprise, whatever the body says
        if enterprise_id not in (None, creator_enterprise_id):
            raise AccountRefused("FOREIGN_ENTERPRISE",
                                 "An enterprise admin creates accounts of its own enterprise only")
        enterprise_id = creator_enterprise_id
    if rule.enterprise == "required" and enterprise_id is None:
        raise AccountRefused("ENTERPRISE_REQUIRED",
                             "This role belongs to an enterprise: give enterprise_id",
                             forbidden=False)
    if rule.enterprise == "none" and enterprise_id is not None:
        raise AccountRefused("NO_ENTERPRISE_FOR_ROLE",
                             f"A {role.value} belongs to no enterprise", forbidden=False)
    if rule.regions == "none" and regions:
        raise AccountRefused("NO_REGIONS_FOR_ROLE",
                             f"A {role.value} has no region_codes: its reach is its enterprise",
                             forbidden=creator != _PA)
    if rule.regions == "required" and not regions:
        raise AccountRefused("REGIONS_REQUIRED", f"A {role.value} needs region_codes",
                             forbidden=False)
    return NewAccount(enterprise_id, regions)


# --- the table as a page ------------------------------------------------------------------------

_CELL = {Scope.OWN: "own", Scope.REGION: "region", Scope.PLATFORM: "all"}


def markdown_table() -> str:
    """The permission table as Markdown, for docs/security.md (a test keeps the page in step)."""
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " | lifts |",
             "|---|" + "---|" * len(roles) + "---|"]
    for row in _ROWS:
        cells = [_CELL[row.grants[r]] if r in row.grants else "–" for r in roles]
        lifts = f"{row.lifts.value}" if row.lifts else ""
        lines.append(f"| {row.action.value} ({row.zh}) | " + " | ".join(cells) + f" | {lifts} |")
    lines.append("")
    lines.append("| account role | created by | enterprise | region_codes |")
    lines.append("|---|---|---|---|")
    for role, rule in ACCOUNT_RULES.items():
        creators = ", ".join(r.value for r in Role if r in rule.creators)
        lines.append(f"| {role.value} | {creators} | {rule.enterprise} | {rule.regions} |")
    lines.append("")
    lines.append("| regulator's department | its `region` rows (beyond these: refused, "
                 "`DEPARTMENT_NOT_ALLOWED`) |")
    lines.append("|---|---|")
    for dept, actions in DEPARTMENT_ACTIONS.items():
        names = ", ".join(a.value for a in Action if a in actions)
        lines.append(f"| {dept.value} ({DEPARTMENT_TEXT[dept][0]}) | {names} |")
    return "\n".join(lines) + "\n"
