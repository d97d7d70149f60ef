"""The dashboards (Streamlit + Altair): `resi serve dashboard` runs app.py."""
