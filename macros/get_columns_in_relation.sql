{#- dbt-postgres's get_columns_in_relation, read from the catalog (pg_attribute) instead of
    the information_schema.columns view. An incremental run asks for a model's columns
    four times (its new rows' and its table's, to widen types and to check for schema
    changes); the view plans a join over every column of the database with privilege
    checks, 10-25 ms a call, and 18 incremental models made it a second of each run.
    This reads one relation's attributes by its oid, in well under a millisecond.

    The columns are the view's: data_type as information_schema.columns spells it (its
    own CASE on the type, format_type for the catalog's types), and the length, precision
    and scale from the same information_schema functions the view calls. Dropped columns
    are left out and the order is the view's (attnum). A relation that does not exist
    has no columns, as before. dbt's temporary relations have no schema: to_regclass then
    finds them through the search path, where pg_temp comes first. -#}
{% macro postgres__get_columns_in_relation(relation) -%}
    {%- set name = relation.include(database=false) -%}
    {% call statement('get_columns_in_relation', fetch_result=True) %}
        select
            attributes.attname as column_name,
            case
                when types.typtype = 'd' then
                    case
                        when base_types.typelem <> 0 and base_types.typlen = -1 then 'ARRAY'
                        when base_namespaces.nspname = 'pg_catalog'
                            then format_type(types.typbasetype, null)
                        else 'USER-DEFINED'
                    end
                when types.typelem <> 0 and types.typlen = -1 then 'ARRAY'
                when namespaces.nspname = 'pg_catalog' then format_type(attributes.atttypid, null)
                else 'USER-DEFINED'
            end as data_type,
            information_schema._pg_char_max_length(true_types.type_id, true_types.type_mod)
                as character_maximum_length,
            information_schema._pg_numeric_precision(true_types.type_id, true_types.type_mod)
                as numeric_precision,
            information_schema._pg_numeric_scale(true_types.type_id, true_types.type_mod)
                as numeric_scale
        from pg_catalog.pg_attribute as attributes
        inner join pg_catalog.pg_type as types on attributes.atttypid = types.oid
        inner join pg_catalog.pg_namespace as namespaces on types.typnamespace = namespaces.oid
        left join pg_catalog.pg_type as base_types
            on types.typtype = 'd' and types.typbasetype = base_types.oid
        left join pg_catalog.pg_namespace as base_namespaces
            on base_types.typnamespace = base_namespaces.oid
        -- a domain's base type and modifier, as the view works them out
        cross join lateral (
            select
                information_schema._pg_truetypid(attributes.*, types.*) as type_id,
                information_schema._pg_truetypmod(attributes.*, types.*) as type_mod
        ) as true_types
        where
            attributes.attrelid = to_regclass('{{ name | replace("'", "''") }}')
            and attributes.attnum > 0
            and not attributes.attisdropped
        order by attributes.attnum
    {% endcall %}
    {% set table = load_result('get_columns_in_relation').table %}
    {{ return(sql_convert_columns_in_relation(table)) }}
{%- endmacro %}
