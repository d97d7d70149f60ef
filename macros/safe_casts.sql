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
    With round=true, fractions are rounded to the nearest whole number first. -#}
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

{% macro safe_cast_integer(expr, data_type='integer', round=false) -%}
    {{ numeric_to_integer(safe_cast_numeric(expr), data_type, round) }}
{%- endmacro %}

{#- An ISO 8601 date or timestamp ('2025-01-02', '2025-01-02T03:04:05.123456',
    '2025-01-02 03:04:05+00:00', '...Z', '...-0500'); naive values are UTC. Calendar-checked
    (no 2025-02-30, no hour 24), so the final cast cannot fail. Else NULL. -#}
{% macro safe_cast_timestamptz(expr) -%}
    (
        select
            case
                when ts.parts is null then null
                when ts.parts[1]::integer < 1 or ts.parts[2]::integer not between 1 and 12
                    then null
                when ts.parts[3]::integer not between 1 and extract(
                        day from make_date(ts.parts[1]::integer, ts.parts[2]::integer, 1)
                        + interval '1 month - 1 day'
                    )
                    then null
                when coalesce(ts.parts[4]::integer, 0) > 23
                    or coalesce(ts.parts[5]::integer, 0) > 59
                    or coalesce(ts.parts[6]::integer, 0) > 59
                    or coalesce(ts.parts[8]::integer, 0) > 15
                    or coalesce(ts.parts[9]::integer, 0) > 59
                    then null
                when ts.parts[7] is null
                    then btrim({{ expr }})::timestamp at time zone 'UTC'
                else btrim({{ expr }})::timestamptz
            end
        from (
            select
                regexp_match(
                    {{ expr }},
                    '^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})'
                    || '(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,9})?)?)?'
                    || '\s*(Z|[+-]([0-9]{2})(?::?([0-9]{2}))?)?\s*$'
                ) as parts
        ) as ts
    )
{%- endmacro %}
