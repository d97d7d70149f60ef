"""The Streamlit entry point (`resi serve dashboard`): the pages and their navigation."""

import psycopg
import streamlit as st
from psycopg_pool import PoolTimeout

from resi.serving.dashboard import data, pages

st.set_page_config(page_title="resi-unified", layout="wide")
navigation = st.navigation(
    [
        st.Page(pages.overview, title="Network overview", url_path="overview", default=True),
        st.Page(pages.miners, title="Miners", url_path="miners"),
        st.Page(pages.miner_page, title="Miner", url_path="miner"),
        st.Page(pages.coverage, title="Coverage", url_path="coverage"),
        st.Page(pages.alerts, title="Alerts", url_path="alerts"),
    ]
)
try:
    navigation.run()
except (psycopg.Error, PoolTimeout) as exc:
    st.error(data.not_built_message(exc))
