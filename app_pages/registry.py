"""Which pages exist and which roles may reach them; app.py registers only the pages a role may see."""

from __future__ import annotations

from dataclasses import dataclass

from app_pages import (
    strings_audit,  # noqa: F401  (nav titles of the auditor pages)
    strings_public,  # noqa: F401  (nav titles of the public pages)
)

PUBLIC = "public"  # everyone, no login
ROLES = ("finance", "auditor", "admin")


@dataclass(frozen=True)
class PageSpec:
    """A page file, its title key (see i18n), its URL path and the roles that may open it."""

    path: str
    title_key: str
    url_path: str
    roles: tuple[str, ...]
    icon: str = ""
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec("app_pages/kiosk.py", "nav.kiosk", "kiosk", (PUBLIC,), ":material/search:", default=True),
    PageSpec("app_pages/disclosure.py", "nav.disclosure", "disclosure", (PUBLIC,), ":material/account_balance:"),
    PageSpec("app_pages/projects.py", "nav.projects", "projects", (PUBLIC,), ":material/construction:"),
    PageSpec("app_pages/inquiry_stats.py", "nav.inquiry_stats", "replies", (PUBLIC,), ":material/forum:"),
    PageSpec("app_pages/inquiries_staff.py", "nav.inquiries_staff", "inquiries", ("finance", "admin"),
             ":material/support_agent:"),
]

# the staff workspace: login is public; the rest only for the roles named
PAGES += [
    PageSpec("app_pages/login.py", "nav.login", "login", (PUBLIC,), ":material/login:"),
    PageSpec("app_pages/staff_upload.py", "nav.upload", "upload", ("finance", "admin"), ":material/upload_file:"),
    PageSpec("app_pages/staff_batches.py", "nav.batches", "batches", ("finance", "admin"), ":material/history:"),
    PageSpec("app_pages/admin_users.py", "nav.admin_users", "accounts", ("admin",), ":material/manage_accounts:"),
]


# the auditor's workspace (auditor and admin)
PAGES += [
    PageSpec("app_pages/audit_lag.py", "nav.audit_lag", "audit-lag", ("auditor", "admin"), ":material/timer:"),
    PageSpec("app_pages/audit_ageing.py", "nav.audit_ageing", "audit-ageing", ("auditor", "admin"),
             ":material/hourglass_bottom:"),
    PageSpec("app_pages/audit_reconcile.py", "nav.audit_reconcile", "audit-reconcile", ("auditor", "admin"),
             ":material/balance:"),
    PageSpec("app_pages/audit_leads.py", "nav.audit_leads", "audit-leads", ("auditor", "admin"), ":material/flag:"),
    PageSpec("app_pages/audit_sql.py", "nav.audit_sql", "audit-sql", ("auditor", "admin"), ":material/terminal:"),
    PageSpec("app_pages/audit_report.py", "nav.audit_report", "audit-report", ("auditor", "admin"),
             ":material/print:"),
]


def visible(role: str | None) -> list[PageSpec]:
    """The pages a visitor with `role` (None = not logged in) may reach."""
    return [p for p in PAGES if PUBLIC in p.roles or (role is not None and (role in p.roles or role == "admin"
                                                                             and "admin" in p.roles))]
