{#- No open alert of this kind in quality_alerts (use with severity warn and store_failures:
    the failing rows are the open alerts, kept in the test_failures schema). -#}
{% test no_open_alerts(model, kind) %}
    select *
    from {{ model }}
    where kind = '{{ kind }}'
{% endtest %}
