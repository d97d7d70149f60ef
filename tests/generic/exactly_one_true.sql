{#- For every group of group_by_columns, exactly one row has `column_name` true. -#}
{% test exactly_one_true(model, column_name, group_by_columns) %}
    select {{ group_by_columns | join(', ') }}, count(*) filter (where {{ column_name }}) as true_rows
    from {{ model }}
    group by {{ group_by_columns | join(', ') }}
    having count(*) filter (where {{ column_name }}) <> 1
{% endtest %}
