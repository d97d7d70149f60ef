{#- Pre-hook of the history marts (incremental per listing, delete+insert on zpid): delete
    every row of the listings this run recomputes first. delete+insert alone only replaces
    the zpids the new rows carry, so a listing whose recomputation yields no rows (say, a
    price change that late evidence undoes) would keep its stale rows. Nothing in a full
    build. -#}
{% macro delete_touched_listings() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where zpid = any(array({{ touched_zpids() }}))
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Snapshot times as timestamptz. dbt-postgres stamps snapshots (dbt_valid_from,
    dbt_valid_to, dbt_updated_at) with `now()::timestamp`, a naive time in whatever zone the
    dbt session has; as timestamptz, an "as of" comparison means the same instant from any
    session. -#}
{% macro postgres__snapshot_get_time() -%}
    {{ current_timestamp() }}
{%- endmacro %}
