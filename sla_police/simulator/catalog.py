"""What the simulated contact center deals with: departments, categories, channels,
priorities, regions, products, staff pools and the words people write in reasons.

The category -> department mapping is the same one the example SLA config uses, so a
simulated feed attributes cleanly. Weights are relative frequencies (they need not sum
to 100); delivery problems dominate, as they do in real retail/telecom contact centers.
"""

from __future__ import annotations

__all__ = [
    "ACK_TARGET",
    "ALTERNATE_DEPARTMENT",
    "CALENDAR_OPENNESS",
    "CANCEL_REASONS",
    "CATEGORY_DEPARTMENT",
    "CATEGORY_WEIGHTS",
    "CHANNEL_WEIGHTS",
    "DAY_SECONDS",
    "DEPARTMENTS",
    "DEPARTMENT_CALENDAR",
    "DEPARTMENT_PRODUCTS",
    "DISPUTE_REASONS",
    "LIVE_CHANNELS",
    "POOL_SIZES",
    "PRIORITY_WEIGHTS",
    "REGION_WEIGHTS",
    "RESOLVE_DAYS",
    "SUMMARIES",
    "TRANSFER_REASONS",
    "WORKING_DAY_SECONDS",
    "Weighted",
    "employee_id",
    "resolve_target",
]

#: A population and its cumulative weights, ready for ``Random.choices(cum_weights=...)``.
Weighted = tuple[tuple[str, ...], tuple[float, ...]]


def _weighted(weights: dict[str, float]) -> Weighted:
    """Freeze a weight table into (values, cumulative weights) for fast sampling."""
    total, cumulative = 0.0, []
    for weight in weights.values():
        total += weight
        cumulative.append(total)
    return tuple(weights), tuple(cumulative)


CATEGORY_DEPARTMENT: dict[str, str] = {
    "delivery.late": "logistics",
    "delivery.damaged": "logistics",
    "delivery.lost": "logistics",
    "billing.overcharge": "billing",
    "billing.invoice": "billing",
    "refund.delayed": "billing",
    "network.outage": "network",
    "network.slow": "network",
    "store.service": "stores",
    "store.stock": "stores",
    "product.defect": "product",
    "product.return": "product",
    "app.login": "it",
    "account.locked": "it",
    "other.general": "triage",
}
DEPARTMENTS: tuple[str, ...] = tuple(dict.fromkeys(CATEGORY_DEPARTMENT.values()))

CATEGORY_WEIGHTS = _weighted({
    "delivery.late": 18, "delivery.damaged": 7, "delivery.lost": 5,
    "billing.overcharge": 8, "billing.invoice": 4, "refund.delayed": 8,
    "network.outage": 3, "network.slow": 6,
    "store.service": 5, "store.stock": 3,
    "product.defect": 9, "product.return": 7,
    "app.login": 6, "account.locked": 4,
    "other.general": 7,
})
CHANNEL_WEIGHTS = _weighted(
    {"phone": 40, "app": 18, "chat": 15, "email": 10, "social": 7, "store": 6, "other": 4}
)
#: Channels that need a person on the other end; they only open during agent hours.
LIVE_CHANNELS = frozenset({"phone", "chat", "store"})
PRIORITY_WEIGHTS = _weighted({"P1": 2, "P2": 15, "P3": 53, "P4": 30})
REGION_WEIGHTS = _weighted(
    {"华东": 30, "华南": 22, "华北": 20, "华中": 10, "西南": 10, "西北": 4, "东北": 4}
)

#: Where a ticket goes when it is not where its category says: explicit re-routing,
#: transfers and upheld disputes pick from these plausible neighbours.
ALTERNATE_DEPARTMENT: dict[str, tuple[str, ...]] = {
    "logistics": ("stores", "product", "billing"),
    "billing": ("it", "logistics"),
    "network": ("it", "stores"),
    "stores": ("logistics", "product"),
    "product": ("logistics", "stores"),
    "it": ("network", "billing"),
    "triage": ("logistics", "billing", "product", "it"),
}

DEPARTMENT_PRODUCTS: dict[str, tuple[str, ...]] = {
    "logistics": ("express-delivery", "standard-delivery", "same-day-delivery"),
    "billing": ("mobile-plan-5g", "broadband-500m", "family-bundle"),
    "network": ("broadband-500m", "broadband-1000m", "mobile-plan-5g"),
    "stores": ("flagship-store", "mall-kiosk"),
    "product": ("phone-x12", "smart-tv-55", "router-ax3000", "earbuds-pro", "tablet-s9"),
    "it": ("mobile-app", "web-portal"),
    "triage": (),
}

#: Staff per department; ids look like ``emp-logistics-017``.
POOL_SIZES: dict[str, int] = {
    "logistics": 30, "billing": 20, "network": 18, "stores": 15,
    "product": 20, "it": 12, "triage": 10,
}

SUMMARIES: dict[str, tuple[str, ...]] = {
    "delivery.late": ("包裹超过承诺时间未送达", "parcel two days overdue"),
    "delivery.damaged": ("收到的商品外包装破损", "box arrived crushed"),
    "delivery.lost": ("物流显示已签收但未收到", "tracking says delivered, nothing arrived"),
    "billing.overcharge": ("本月账单多扣费", "charged twice this month"),
    "billing.invoice": ("发票抬头错误", "invoice missing company tax id"),
    "refund.delayed": ("退款超过七天未到账", "refund not received after 7 days"),
    "network.outage": ("家中宽带完全断网", "no internet since this morning"),
    "network.slow": ("晚上网速很慢", "speed far below plan in the evening"),
    "store.service": ("门店店员态度差", "rude staff at the store"),
    "store.stock": ("门店缺货", "advertised item out of stock"),
    "product.defect": ("新买的设备无法开机", "device stopped working after a week"),
    "product.return": ("退货申请被拒", "return request not processed"),
    "app.login": ("App 无法登录", "cannot log in to the app"),
    "account.locked": ("账户被锁定", "account locked after password reset"),
    "other.general": ("其他问题咨询", "general complaint"),
}
TRANSFER_REASONS: tuple[str, ...] = (
    "root cause lies with another team",
    "wrongly routed by the contact center",
    "needs a refund approval",
    "store-side issue",
    "technical investigation required",
)
DISPUTE_REASONS: tuple[str, ...] = (
    "complaint caused by another department",
    "category chosen by the agent is wrong",
    "delay caused by a supplier under another team's contract",
    "customer error, not a service failure",
)
CANCEL_REASONS: tuple[str, ...] = (
    "customer withdrew the complaint",
    "duplicate of another ticket",
    "problem solved itself before handling",
    "customer unreachable, closed on request",
)

#: The hours each department works (as in the example SLA config): "office" is
#: Mon-Fri 09:00-12:00 + 13:30-18:00, "extended" 08:00-22:00 every day, "always" 24x7.
DEPARTMENT_CALENDAR: dict[str, str] = {
    "logistics": "office", "billing": "office", "network": "extended", "stores": "extended",
    "product": "office", "it": "office", "triage": "always",
}
#: Open seconds in one working day of each calendar.
DAY_SECONDS: dict[str, int] = {"office": 27_000, "extended": 50_400, "always": 86_400}
WORKING_DAY_SECONDS = DAY_SECONDS["office"]
#: From least to most open: each calendar's open time contains the previous one's.
CALENDAR_OPENNESS: tuple[str, ...] = ("office", "extended", "always")

#: Targets the simulator keeps in mind when making a ticket "late" or "on time": seconds
#: of working time, except P3/P4 resolution, which is 2 working days of the calendar.
ACK_TARGET: dict[str, int] = {"P1": 15 * 60, "P2": 3600, "P3": 7200, "P4": 7200}
RESOLVE_DAYS = 2


def resolve_target(priority: str, calendar: str) -> int:
    """Working seconds to resolve ``priority`` on ``calendar`` (P1 4h, P2 8h, others 2d)."""
    if priority == "P1":
        return 4 * 3600
    if priority == "P2":
        return 8 * 3600
    return RESOLVE_DAYS * DAY_SECONDS[calendar]


def employee_id(department: str, number: int) -> str:
    """A back-office employee id, e.g. ``emp-logistics-017``."""
    return f"emp-{department}-{number:03d}"

