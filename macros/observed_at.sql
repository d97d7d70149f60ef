{#- A report's observation time (docs: observed_at): its own scrape time, capped at the
    file's server time; a report without a scrape time is observed at its upload.
    `reports` is the relation or CTE holding the report's `datetime` and `submitted_at`. -#}
{% macro observed_at(reports) -%}
    least(coalesce({{ reports }}.datetime, {{ reports }}.submitted_at), {{ reports }}.submitted_at)
{%- endmacro %}
