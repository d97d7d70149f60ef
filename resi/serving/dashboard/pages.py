"""The dashboard pages: network overview, miners, one miner, coverage, alerts."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from resi.serving.dashboard import data

QUALITY_METRICS = {
    "miner_agreement_ratio": "miner agreement",
    "data_freshness_score": "data freshness",
    "field_completeness": "field completeness",
    "geographic_coverage": "geographic coverage",
}


def overview() -> None:
    st.title("Network overview")
    health = data.health()
    quality = data.network_quality()
    alerts = data.alerts()
    cols = st.columns(4)
    cols[0].metric("unified listings", f"{health['listings']:,}")
    cols[1].metric("miners", f"{len(data.miners()):,}")
    cols[2].metric("open alerts", f"{len(alerts):,}")
    cols[3].metric("newest report", (health["newest_report_at"] or "")[:10])
    if quality.empty:
        st.info("No daily metrics yet.")
        return
    left, right = st.columns(2)
    with left:
        st.subheader("Files per day")
        volume = quality.melt("date_day", ["files_loaded", "files_rejected"], "kind", "files")
        st.altair_chart(
            alt.Chart(volume)
            .mark_bar()
            .encode(
                x=alt.X("yearmonthdate(date_day):O", title="day"),
                y=alt.Y("files:Q", title="files"),
                color=alt.Color("kind:N", scale=alt.Scale(range=["#4c78a8", "#e45756"])),
                tooltip=["date_day:T", "kind:N", "files:Q"],
            ),
            width="stretch",
        )
    with right:
        st.subheader("Listings seen to date")
        st.altair_chart(
            alt.Chart(quality)
            .mark_line(point=True)
            .encode(
                x=alt.X("date_day:T", title="day"),
                y=alt.Y("listings_seen_to_date:Q", title="listings"),
                tooltip=["date_day:T", "listings_seen_to_date:Q", "rows_loaded:Q"],
            ),
            width="stretch",
        )
    left, right = st.columns(2)
    with left:
        st.subheader("Daily quality metrics")
        metrics = quality.melt("date_day", list(QUALITY_METRICS), "metric", "value")
        metrics["metric"] = metrics["metric"].map(QUALITY_METRICS)
        st.altair_chart(
            alt.Chart(metrics)
            .mark_line(point=True)
            .encode(
                x=alt.X("date_day:T", title="day"),
                y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 1]), title="0 to 1"),
                color="metric:N",
                tooltip=["date_day:T", "metric:N", alt.Tooltip("value:Q", format=".3f")],
            ),
            width="stretch",
        )
        st.caption(
            "miner agreement: votes agreeing with consensus / votes; data freshness: share "
            "of listings reported within the freshness horizon; field completeness: "
            "non-null fields / fields; geographic coverage: target zips with listings / "
            "target zips (see the network_quality_daily docs)."
        )
    with right:
        st.subheader("Listings by consensus score")
        dist = data.consensus_distribution()
        if not dist.empty:
            st.altair_chart(
                alt.Chart(dist)
                .mark_bar()
                .encode(
                    x=alt.X("band:O", title="consensus score (bands of 0.01)"),
                    y=alt.Y("listings:Q"),
                    tooltip=["band:O", "listings:Q"],
                ),
                width="stretch",
            )


def miners() -> None:
    st.title("Miners")
    board = data.miners()
    if board.empty:
        st.info("No miners yet.")
        return
    board = board.assign(miner=board["miner_hotkey"].str[:12] + "…")
    st.subheader("Agreement with consensus")
    st.altair_chart(
        alt.Chart(board)
        .mark_bar()
        .encode(
            x=alt.X("agreement_ratio:Q", scale=alt.Scale(domain=[0, 1]), title="agreement"),
            y=alt.Y("miner:N", sort="-x", title=None),
            color=alt.Color(
                "duplicate_report_share:Q", title="duplicate share", scale=alt.Scale(scheme="reds")
            ),
            tooltip=["miner_hotkey:N", "agreement_ratio:Q", "reports_count:Q", "files_loaded:Q"],
        ),
        width="stretch",
    )
    st.subheader("Leaderboard")
    columns = [
        "miner_hotkey", "agreement_ratio", "mean_validation_score", "reports_count",
        "files_loaded", "files_rejected", "duplicate_report_share", "invalid_row_share",
        "median_clock_skew_hours", "last_submission_at",
    ]  # fmt: skip
    st.dataframe(board[[c for c in columns if c in board]], hide_index=True)
    st.caption("Open a miner on the Miner page.")


def miner_page() -> None:
    st.title("Miner")
    board = data.miners()
    if board.empty:
        st.info("No miners yet.")
        return
    hotkeys = list(board["miner_hotkey"])
    asked = st.query_params.get("hotkey")
    hotkey = st.selectbox("miner", hotkeys, index=hotkeys.index(asked) if asked in hotkeys else 0)
    st.query_params["hotkey"] = hotkey
    detail = data.miner(hotkey)
    perf = detail["miner"]
    cols = st.columns(5)
    agreement = perf.get("agreement_ratio")
    cols[0].metric("agreement", "n/a" if agreement is None else f"{agreement:.1%}")
    cols[1].metric("files loaded", f"{perf['files_loaded']:,}")
    cols[2].metric("files rejected", f"{perf['files_rejected']:,}")
    cols[3].metric("reports", f"{perf['reports_count']:,}")
    skew = perf.get("median_clock_skew_hours")
    cols[4].metric("median clock skew", "n/a" if skew is None else f"{skew:.2f} h")
    files = detail["files"]
    if not files.empty:
        files["submitted_at"] = pd.to_datetime(files["submitted_at"], utc=True)
        files["claimed_submitted_at"] = pd.to_datetime(files["claimed_submitted_at"], utc=True)
        files["clock_skew_hours"] = (
            files["submitted_at"] - files["claimed_submitted_at"]
        ).dt.total_seconds() / 3600
        st.subheader("Files over time")
        st.altair_chart(
            alt.Chart(files)
            .mark_circle(size=60)
            .encode(
                x=alt.X("submitted_at:T", title="server time"),
                y=alt.Y("reports:Q", title="reports in file"),
                color=alt.Color("duplicate_reports:Q", scale=alt.Scale(scheme="oranges")),
                tooltip=["parquet_file_path:N", "reports:Q", "duplicate_reports:Q"],
            ),
            width="stretch",
        )
        st.subheader("Clock skew per file (server time minus the file name's time)")
        st.altair_chart(
            alt.Chart(files)
            .mark_bar()
            .encode(
                x=alt.X("submitted_at:T", title="server time"),
                y=alt.Y("clock_skew_hours:Q", title="hours"),
                tooltip=["parquet_file_path:N", alt.Tooltip("clock_skew_hours:Q", format=".2f")],
            ),
            width="stretch",
        )
        st.subheader("Files")
        st.dataframe(files, hide_index=True)
    st.subheader("Rejected files")
    st.write(
        f"{perf['files_rejected']:,} rejected; the reasons are in raw.source_files "
        "(`resi summary`), outside the reader's reach."
    )
    st.subheader("Alerts about this miner")
    if detail["alerts"].empty:
        st.write("none open")
    else:
        st.dataframe(detail["alerts"], hide_index=True)


def coverage() -> None:
    st.title("Coverage")
    points = data.listing_points()
    if not points.empty:
        st.subheader("Listings by location, coloured by consensus score")
        st.altair_chart(
            alt.Chart(points)
            .mark_circle(size=25, opacity=0.8)
            .encode(
                x=alt.X("longitude:Q", scale=alt.Scale(zero=False)),
                y=alt.Y("latitude:Q", scale=alt.Scale(zero=False)),
                color=alt.Color(
                    "consensus_score:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[0.5, 1])
                ),
                tooltip=["zpid:N", "zip_code:N", "price:Q", "home_status:N", "consensus_score:Q"],
            )
            .properties(height=480),
            width="stretch",
        )
    zips = data.coverage_by_zip()
    states = data.coverage_by_state()
    left, right = st.columns(2)
    with left:
        st.subheader("Zip codes: listings, by coverage status")
        if not zips.empty:
            st.altair_chart(
                alt.Chart(zips)
                .mark_bar()
                .encode(
                    x=alt.X("listings_count:Q", title="listings"),
                    y=alt.Y("zip_code:N", sort="-x", title=None),
                    color=alt.Color("coverage_status:N"),
                    tooltip=[
                        "zip_code:N",
                        "state:N",
                        "listings_count:Q",
                        "miners_count:Q",
                        "is_target_zip:N",
                        "coverage_status:N",
                    ],  # fmt: skip
                ),
                width="stretch",
            )
    with right:
        st.subheader("States: target zip codes covered")
        if not states.empty:
            st.altair_chart(
                alt.Chart(states)
                .mark_bar()
                .encode(
                    x=alt.X("target_coverage_ratio:Q", scale=alt.Scale(domain=[0, 1])),
                    y=alt.Y("state:N", sort="-x", title=None),
                    tooltip=[
                        "state:N",
                        "listings_count:Q",
                        "target_zip_codes_count:Q",
                        "target_zip_codes_covered:Q",
                    ],  # fmt: skip
                ),
                width="stretch",
            )
    st.subheader("Zip codes")
    st.dataframe(zips, hide_index=True)


def alerts() -> None:
    st.title("Open alerts")
    table = data.alerts()
    if table.empty:
        st.success("No open alerts.")
        return
    counts = table.groupby(["kind", "severity"], as_index=False).size()
    st.altair_chart(
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("size:Q", title="open alerts"),
            y=alt.Y("kind:N", title=None),
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=["error", "warn"], range=["#e45756", "#f2a93b"]),
            ),
            tooltip=["kind:N", "severity:N", "size:Q"],
        ),
        width="stretch",
    )
    columns = ["severity", "kind", "subject", "figure", "threshold", "first_seen_at", "details"]
    st.dataframe(table[[c for c in columns if c in table]], hide_index=True)
