{#-
    Safe casts: text in, typed value or NULL out, never an error.

    dbt's `dbt.safe_cast` is a plain `cast()` on PostgreSQL and aborts the build on the first
    bad value. These guard every cast with a regular expression (plus range checks where the
    regex cannot see the problem), in plain SQL that runs on PostgreSQL 15 and later
    (`pg_input_is_valid` would need 16). Staging pairs each cast with a `*_cast_failed` flag:
    text was there, but no value came out.
-#}

{#- Text that stands for "no value" in files written by pandas/pyarrow. -#}
{% macro null_if_missing(expr) -%}
    nullif(
        case
            when lower(btrim({{ expr }})) in ('nan', 'none', 'null', 'nat', '<na>', 'n/a')
                then ''
            else btrim({{ expr }})
        end,
        ''
    )
{%- endmacro %}

{#- A decimal number ('8701', '2.5', '20077123.0', '2.0077123e7', '-.5'), else NULL. -#}
{% macro safe_cast_numeric(expr) -%}
    (case
        when length({{ expr }}) <= 64
            and {{ expr }} ~ '^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?\s*$'
            then ({{ expr }})::numeric
    end)
{%- endmacro %}

{#- A numeric value that is a whole number within the range of `data_type`, else NULL.
    With round=true, fractions are rounded to the nearest whole number first.
    It reads numeric_expr four times: give it a column, a cast worked out in an earlier
    step (evaluate_once_per_row()), not the cast itself, whose regular expression would
    then run four times a row (staging's `typed` step; normalize_zpid()). -#}
{% macro numeric_to_integer(numeric_expr, data_type='integer', round=false) -%}
    {%- set bounds = {
        'smallint': ('-32768', '32767'),
        'integer': ('-2147483648', '2147483647'),
        'bigint': ('-9223372036854775808', '9223372036854775807'),
    } -%}
    {%- set value = 'round(' ~ numeric_expr ~ ')' if round else numeric_expr -%}
    (case
        when {{ value }} = trunc({{ value }})
            and {{ value }} between {{ bounds[data_type][0] }} and {{ bounds[data_type][1] }}
            then ({{ value }})::{{ data_type }}
    end)
{%- endmacro %}

{#- An ISO 8601 date or timestamp ('2025-01-02', '2025-01-02T03:04:05.123456',
    '2025-01-02 03:04:05+00:00', '...Z', '...-0500'); naive values are UTC. The pattern
    checks every field's range (no month 13, no hour 24, offsets up to 15 hours) and the
    days-in-month check rules out 2025-02-30, so the final cast cannot fail. Else NULL.
    The pattern avoids capture groups and {n} repetitions, which make PostgreSQL's regex
    engine several times slower; fields are then read at their fixed positions. -#}
{% macro safe_cast_timestamptz(expr) -%}
    (case
        when {{ expr }} !~ (
            '^[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
            || '([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?'
            || '(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?)?$'
        )
            then null
        when substr({{ expr }}, 1, 4) = '0000' then null
        when substr({{ expr }}, 9, 2) > '28'
            and substr({{ expr }}, 9, 2)::integer > extract(day from
                make_date(substr({{ expr }}, 1, 4)::integer, substr({{ expr }}, 6, 2)::integer, 1)
                + interval '1 month - 1 day'
            )
            then null
        when substr({{ expr }}, 11) ~ '[Z+-]' then ({{ expr }})::timestamptz
        else ({{ expr }})::timestamp at time zone 'UTC'
    end)
{%- endmacro %}
