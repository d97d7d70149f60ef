{#- Incremental strategy `changed_rows`: delete+insert by a single-column unique_key (the
    listing, zpid) that writes only the rows that changed. An incremental run recomputes
    every row of each listing its new reports touch, but a new report changes few of
    them: one miner's new file of 1,000 known listings moves that miner's votes (~16 per
    listing), not the ~110 that every miner cast. delete+insert rewrote them all: each a
    dead tuple, a new tuple, its WAL and an entry in every index. This strategy

    1. deletes the target's rows of the new rows' keys that no new row equals, and
    2. inserts the new rows that no remaining target row equals,

    in one statement that reads the target's rows of those keys once (by the key's index),
    pairs them with the new rows in a full join, deletes the old rows that changed by
    tuple id and inserts the new ones, read back from the new rows by tuple id too. The
    pairing keeps only the two tuple ids and whether the rows are equal: it is read twice
    (deletes, inserts), so PostgreSQL writes it down, and with every column of the new
    rows in it that copy cost a third of the statement (int_consensus_votes at 1M raw rows:
    125,750 votes paired, 1,700 changed; 250 against 330-440 ms).

    Rows are matched on the model's `row_key` config (the columns of its primary-key test,
    a hash join) and compared whole on the other columns with `is not distinct from`
    (NULLs equal). For a model whose rows are unique on row_key, the result is
    delete+insert's: the rows of each touched key are the new rows of that key, and a key
    with no new rows keeps its rows. -#}
{% macro get_incremental_changed_rows_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set row_key = config.get('row_key') -%}
    {%- if key is not string or row_key is none or arg_dict['incremental_predicates'] -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'changed_rows' needs a single-column unique_key, a row_key"
            ~ " and no incremental_predicates (model " ~ this ~ ")") }}
    {%- endif -%}
    {%- set names = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    {%- set touched_keys = keys_of_new_rows(source, key) -%}
        with

        -- the target's rows of the touched keys, read once by the key's index
        old_rows as (
            select
                ctid as changed_rows_old_ctid,
                {{ get_quoted_csv(names) }}
            from {{ target }}
            where {{ key }} = any({{ touched_keys }})
        ),

        new_rows as (
            select
                ctid as changed_rows_new_ctid,
                {{ get_quoted_csv(names) }}
            from {{ source }}
        ),

        -- each old row beside the new row of its row_key, if any, and whether they are equal
        compared as (
            select
                old_rows.changed_rows_old_ctid,
                new_rows.changed_rows_new_ctid,
                coalesce({{ rows_equal('old_rows', 'new_rows', names, row_key) }}, false)
                    as changed_rows_is_same
            from old_rows
            full join new_rows
                on {{ rows_equal('old_rows', 'new_rows', row_key, row_key) }}
        ),

        -- by tuple id: a TID scan, no second read of the index
        deleted as (
            delete from {{ target }}
            where ctid = any(array(
                select changed_rows_old_ctid
                from compared
                where changed_rows_old_ctid is not null and not changed_rows_is_same
            ))
            returning 1
        )

        insert into {{ target }} ({{ get_quoted_csv(names) }})
        select {{ get_quoted_csv(names) }}
        from {{ source }}
        where
            ctid = any(array(
                select changed_rows_new_ctid
                from compared
                where changed_rows_new_ctid is not null and not changed_rows_is_same
            ))
            -- deletes first: PostgreSQL runs a data-modifying CTE that nothing reads after
            -- the main statement, and a new row would then meet its old row in a unique index
            and (select count(*) from deleted) >= 0
{%- endmacro %}

{#- The rows `left` and `right` are equal: `=` on the row_key columns (a hash join's keys),
    `is not distinct from` on the others. -#}
{% macro rows_equal(left, right, names, row_key) -%}
    {%- set others = names | reject('in', row_key) | list -%}
    {%- for name in row_key -%}
        {{ left }}.{{ adapter.quote(name) }} = {{ right }}.{{ adapter.quote(name) }}{{ ' and ' if others or not loop.last }}
    {%- endfor -%}
    {%- if others %}
    ({% for name in others %}{{ left }}.{{ adapter.quote(name) }}{{ ', ' if not loop.last }}{% endfor %})
    is not distinct from
    ({% for name in others %}{{ right }}.{{ adapter.quote(name) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}
