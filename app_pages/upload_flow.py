"""The staff upload flow, shared by the upload page and "replace a batch": file → kind → preview →
check in the background → report grouped by code (+ marked XLSX) → confirm → load in the background."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages import session
from app_pages.i18n import lang, t
from funds import audit_log, codes, settings
from funds.errors import FundsError
from funds.staff_db import staff_connection
from pipelines import check_job
from pipelines.header import guess_kind
from pipelines.read import head_rows, scan_every_sheet
from schemas.columns import KINDS

MB = 1024 * 1024
POLL_SECONDS = 1.0


def _state(prefix: str) -> dict[str, Any]:
    return st.session_state.setdefault(f"{prefix}_flow", {})


class _Folder:
    """The private folder (0700) holding one session's copy of its upload, which holds raw ID numbers:
    removed when the flow starts over, when the session is gone (its state, which holds this, is
    freed: a closed browser tab never clears the uploader) or at the latest when the server exits."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="funds-upload-"))
        self.remove = weakref.finalize(self, shutil.rmtree, str(self.path), True)


def _reset(flow: dict[str, Any]) -> None:
    folder = flow.get("folder")
    if folder is not None:
        folder.remove()
    flow.clear()


def _audit(user: dict[str, Any], action: str, detail: dict[str, Any]) -> None:
    try:
        with staff_connection(session.db_path()) as con:
            audit_log.record(con, user["name"], action, detail)
    except FundsError as exc:
        st.warning(exc.message(lang()))


def render(user: dict[str, Any], prefix: str = "up", replacing: dict[str, Any] | None = None) -> None:
    """Draw the flow; `replacing` = {"batch_id", "kind"} loads the file as that batch's replacement."""
    flow = _state(prefix)
    limit_mb = settings.get_int("upload_max_mb")
    uploaded = st.file_uploader(t("up.file"), type=["xlsx", "xls", "csv"], key=f"{prefix}_uploader")
    if uploaded is None:
        if flow:
            _reset(flow)
        return
    if uploaded.size > limit_mb * MB:  # checked before the bytes are read
        st.error(t("up.too_large", size=f"{uploaded.size / MB:.1f}", limit=limit_mb))
        return
    ident = (getattr(uploaded, "file_id", None) or uploaded.name, uploaded.size,
             replacing["batch_id"] if replacing else None)
    if flow.get("ident") != ident:
        _reset(flow)
        folder = _Folder()
        path = folder.path / ("upload" + Path(uploaded.name).suffix.lower())
        with path.open("wb") as out:
            shutil.copyfileobj(uploaded, out, 1 << 20)
        flow.update(ident=ident, folder=folder, path=path, name=uploaded.name)
        scan_every_sheet()  # this is the server: a far cell in a sheet must not abort it (read.check_extent)
        try:
            flow["head"] = head_rows(path, uploaded.name)
            flow["guess"] = guess_kind(flow["head"])
        except FundsError as exc:
            flow["head"], flow["guess"], flow["read_error"] = [], None, exc

    problem = flow.get("read_error")
    if problem is not None:  # ReadProblem carries a catalogue code (empty-file, unreadable-file...)
        code = getattr(problem, "code", None)
        st.error(codes.message(code, lang(), value=flow["name"], detail=getattr(problem, "detail", ""))
                 if code else problem.message(lang()))
        return

    kinds = list(KINDS)
    if replacing:
        kind = replacing["kind"]
        st.selectbox(t("up.kind"), [kind], format_func=lambda k: KINDS[k].label(lang()), disabled=True,
                     key=f"{prefix}_kind_fixed")
    else:
        guess = flow.get("guess")
        st.caption(t("up.guessed", kind=KINDS[guess].label(lang())) if guess else t("up.not_guessed"))
        kind = st.selectbox(t("up.kind"), kinds, index=kinds.index(guess) if guess else 0,
                            format_func=lambda k: KINDS[k].label(lang()), key=f"{prefix}_kind")

    with st.expander(t("up.preview"), expanded=True):
        head = flow.get("head") or []
        width = max((len(r) for r in head[:12]), default=0)
        st.dataframe([[*r, *[""] * (width - len(r))] for r in head[:12]], hide_index=True)

    old = flow.get("check")
    if old is not None and old.kind != kind:  # the kind changed: the old report no longer applies
        flow.pop("check", None)
        flow.pop("load", None)

    def start(load: bool) -> check_job.Job:
        return check_job.start(session.db_path(), kind, flow["path"], flow["name"], user["name"], load=load,
                               replacing=replacing["batch_id"] if replacing else None, lang=lang())

    check = _step(flow, "check", lambda: st.button(t("up.check"), type="primary", key=f"{prefix}_check"),
                  lambda: start(False), t("up.checking"))
    if check is None:
        return
    _audit_once(flow, "check", user, "upload-check", _detail(check))
    if not _show_check(check, prefix):
        return

    load = _step(flow, "load", lambda: st.button(t("up.confirm"), type="primary", key=f"{prefix}_confirm"),
                 lambda: start(True), t("up.loading"))
    if load is None:
        return
    _audit_once(flow, "load", user, "upload-load", _detail(load))
    if load.error is not None:
        st.error(t("up.failed", message=load.error.message(lang())))
    elif load.outcome and load.outcome.status == "loaded":
        st.success(t("up.loaded", batch=load.outcome.batch_id, rows=load.outcome.report.rows))
        if load.advice:
            st.info(load.advice)
            _optimize(user, flow, prefix)
        if replacing and f"{prefix}_done" not in st.session_state:
            st.session_state[f"{prefix}_done"] = load.outcome.batch_id
    elif load.outcome is not None:
        _show_check(load, prefix + "_load")


def _optimize(user: dict[str, Any], flow: dict[str, Any], prefix: str) -> None:
    """The advice's button: `funds optimize` in the background, then what it did (and an audit entry)."""
    job = _step(flow, "optimize", lambda: st.button(t("up.optimize"), key=f"{prefix}_optimize"),
                lambda: check_job.start_optimize(session.db_path(), user["name"]), t("up.optimizing"))
    if job is None:
        return
    result = job.result or {}
    _audit_once(flow, "optimize", user, "optimize", {
        "status": "failed" if job.error else "done",
        **{k: result.get(k) for k in ("mode", "rows_rewritten", "sorted_runs", "seconds")}})
    if job.error is not None:
        st.error(t("up.failed", message=job.error.message(lang())))
    else:
        st.success(t("up.optimized", rows=f"{result['rows_rewritten']:,}", seconds=result["seconds"],
                     runs=result["sorted_runs"]))


def _step(flow: dict[str, Any], name: str, pressed: Callable[[], bool], start: Callable[[], Any],
          waiting: str) -> Any:
    """One step of the flow run in the background: its button until pressed, then its progress, then the
    finished job (None until then). The job is kept in `flow[name]`."""
    job = flow.get(name)
    if job is None:
        if pressed():
            flow[name] = start()
            st.rerun()
        return None
    if not job.done:
        _wait(waiting, job)
        return None
    return job


def _audit_once(flow: dict[str, Any], step: str, user: dict[str, Any], action: str, detail: dict[str, Any]) -> None:
    """Record a finished step in the audit log once, however often the page reruns afterwards."""
    if not flow.get(f"{step}_logged"):
        flow[f"{step}_logged"] = True
        _audit(user, action, detail)


def _detail(job: check_job.Job) -> dict[str, Any]:
    """What the audit log keeps about an upload: file, kind, hash, counts, status (no row contents)."""
    out: dict[str, Any] = {"file": job.name, "kind": job.kind, "replaces": job.replacing}
    if job.outcome is not None:
        r = job.outcome.report
        out.update(status=job.outcome.status, batch=job.outcome.batch_id, rows=r.rows, errors=r.error_count,
                   warnings=r.warning_count, sha256=r.sha256)
    if job.error is not None:
        out["status"] = "failed"
    return out


def _wait(message: str, job: check_job.Background) -> None:
    """A progress line that reruns the page when the background job finishes."""

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if job.done:
            st.rerun(scope="app")
        st.info(f"{message} {job_elapsed(job):.0f} s")

    poll()


def job_elapsed(job: check_job.Background) -> float:
    """Seconds since the job began."""
    import time

    return job.seconds if job.done else time.monotonic() - job.started


def _show_check(job: check_job.Job, prefix: str) -> bool:
    """Show the outcome of a check; True when the file may be loaded."""
    language = lang()
    if job.error is not None:
        st.error(t("up.failed", message=job.error.message(language)))
        return False
    outcome = job.outcome
    assert outcome is not None
    report = outcome.report
    if outcome.status == "already_loaded":
        st.info(t("up.already", batch=outcome.batch_id))
        return False
    if job.marked:
        st.download_button(t("up.download_marked"), job.marked, file_name=Path(job.name).stem + "-checked.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key=f"{prefix}_marked")
    if outcome.status == "rejected":
        st.error(t("up.invalid", errors=report.error_count, rows=report.rows))
        _grouped(report.errors, report.kind, language, expanded=True)
        if report.error_count > len(report.errors):
            st.caption(t("up.more", n=report.error_count - len(report.errors)))
        return False
    st.success(t("up.valid", rows=report.rows, warnings=report.warning_count))
    if report.warnings:
        st.subheader(t("up.warnings"))
        _grouped(report.warnings, report.kind, language, expanded=False)
    return True


def _grouped(issues: list, kind: str, language: str, expanded: bool) -> None:  # type: ignore[type-arg]
    """One expander per code, listing spreadsheet row, column, value and message."""
    from schemas.columns import KINDS as _K

    groups: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for issue in issues:
        groups[issue.code].append(issue)
    for code, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        with st.expander(t("up.code_group", code=code, count=len(items)), expanded=expanded and len(groups) <= 3):
            st.dataframe(
                [{t("up.row"): i.row, t("up.column"): (_K[kind].column(i.column).label(language)
                                                        if i.column in _K[kind].names else i.column or ""),
                  t("up.value"): i.value or "", t("up.message"): i.message(language, kind)} for i in items[:500]],
                hide_index=True, width="stretch")
