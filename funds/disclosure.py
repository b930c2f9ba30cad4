"""The annual disclosure summary, as the model county printed it: funds, money, households, projects, lag."""

from __future__ import annotations

from typing import Any

import duckdb

from funds import buckets, db, money


def annual(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, Any]:
    """The figures of one year; amounts as strings with 2 decimals (yuan)."""
    r = db.fetch_dicts(con, "annual_report", {"year": year})[0]
    lags = con.execute(db.query_text("allocation_lag_days"), {"year": year}).fetchall()
    household = r["payments_yuan"]
    projects = r["projects_yuan"]
    return {
        "year": year,
        "funds": {"count": r["funds"], "household": r["household_funds"], "project": r["project_funds"]},
        "household_payments": {"count": r["payments"], "amount_yuan": money.to_str(household),
                               "unpaid": r["payments_unpaid"], "people": r["people"]},
        "projects": {"count": r["projects"], "amount_yuan": money.to_str(projects)},
        "budgets": {"departments": r["departments"], "amount_yuan": money.to_str(r["budgets_yuan"]),
                    "actual_yuan": money.to_str(r["actual_yuan"])},
        "allocations": {"count": r["allocations"], "amount_yuan": money.to_str(r["allocations_yuan"]),
                        "unpaid": r["allocations_unpaid"], "lag_days": buckets.count(lags)},
        "disclosed_amount_yuan": money.to_str(money.yuan(household) + money.yuan(projects)),
    }


def paragraph(data: dict[str, Any], lang: str = "zh") -> str:
    """The summary as the readable paragraph a county publishes (zh, en or ko)."""
    f, hp, pr, bu, al = (data[k] for k in ("funds", "household_payments", "projects", "budgets", "allocations"))
    lag = al["lag_days"]
    paid = sum(lag.values()) or 1
    lag_zh = "，".join(f"{k} 天 {v} 笔（{v * 100 / paid:.2f}%）" for k, v in lag.items())
    lag_en = ", ".join(f"{k} days: {v} ({v * 100 / paid:.2f}%)" for k, v in lag.items())
    lag_ko = ", ".join(f"{k}일 {v}건({v * 100 / paid:.2f}%)" for k, v in lag.items())
    y = data["year"]
    if lang == "en":
        return (
            f"In {y} we disclosed {f['count']} special funds totalling {money.to_wan(data['disclosed_amount_yuan'])} "
            f"10k yuan: {f['household']} funds paid to households ({hp['count']:,} payments, "
            f"{money.to_wan(hp['amount_yuan'])} 10k yuan; {hp['unpaid']:,} not yet paid) and {pr['count']} projects "
            f"({money.to_wan(pr['amount_yuan'])} 10k yuan). Department budgets of {bu['departments']} units: "
            f"{money.to_wan(bu['amount_yuan'])} 10k yuan. Of {al['count']:,} fund transfers "
            f"({money.to_wan(al['amount_yuan'])} 10k yuan, {al['unpaid']} unpaid), days from approval to payment: {lag_en}."
        )
    if lang == "ko":
        return (
            f"{y}년 특별자금 {f['count']}개, 총 {money.to_wan(data['disclosed_amount_yuan'])}만 위안을 공개했습니다. "
            f"가구 지급 자금 {f['household']}개({hp['count']:,}건, {money.to_wan(hp['amount_yuan'])}만 위안, 미지급 "
            f"{hp['unpaid']:,}건), 사업 {pr['count']}개({money.to_wan(pr['amount_yuan'])}만 위안). 부서 예산 "
            f"{bu['departments']}개 기관 {money.to_wan(bu['amount_yuan'])}만 위안. 자금 이체 {al['count']:,}건"
            f"(미지급 {al['unpaid']}건)의 승인부터 지급까지 일수: {lag_ko}."
        )
    return (
        f"{y}年，公开财政专项资金{f['count']}项，总资金额{money.to_wan(data['disclosed_amount_yuan'])}万元，"
        f"涉及{hp['count']:,}人（户）次，{pr['count']}个项目。其中：到人（户）资金{f['household']}项，金额"
        f"{money.to_wan(hp['amount_yuan'])}万元（尚未发放{hp['unpaid']:,}笔）；到项目{pr['count']}个，金额"
        f"{money.to_wan(pr['amount_yuan'])}万元。公开{bu['departments']}个部门预算单位的部门预算资金"
        f"{money.to_wan(bu['amount_yuan'])}万元。财政拨付资金{al['count']:,}笔（{money.to_wan(al['amount_yuan'])}万元，"
        f"未拨付{al['unpaid']}笔），从审批到拨付：{lag_zh}。"
    )
