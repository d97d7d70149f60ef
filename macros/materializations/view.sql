{#-
    dbt's view materialization, with one addition: a view whose definition has not changed
    since it was created is left alone. A view costs nothing to keep, but re-creating one
    takes a fraction of a second and locks it and every view that reads it, and an
    incremental run after each new file re-created all of them for nothing.

    The md5 of the compiled SQL and of the columns' YAML is stored as the view's comment
    when dbt creates it; a run that finds the same md5 on the view in the catalog (read
    live: replacing a view upstream drops its readers) skips it. --full-refresh always
    re-creates.
-#}
{% materialization view, adapter='postgres' -%}
    {%- set definition_md5 = 'dbt definition md5 ' ~ local_md5(sql ~ tojson(model.columns)) -%}
    {%- if not should_full_refresh() and view_comment(this) == definition_md5 -%}
        {%- call statement('main') -%} select 'unchanged' {%- endcall -%}
        {{ return({'relations': [this.incorporate(type='view')]}) }}
    {%- endif -%}
    {%- set result = materialization_view_default() -%}
    {%- call statement('record_definition_md5') -%}
        comment on view {{ this }} is '{{ definition_md5 }}'
    {%- endcall -%}
    {{ adapter.commit() }}
    {{ return(result) }}
{%- endmaterialization %}

{#- The comment on the view `relation` in the catalog now, or none. -#}
{% macro view_comment(relation) -%}
    {%- set query -%}
        select obj_description(views.oid, 'pg_class')
        from pg_class as views
        inner join pg_namespace as schemas on views.relnamespace = schemas.oid
        where
            schemas.nspname = '{{ relation.schema }}'
            and views.relname = '{{ relation.identifier }}'
            and views.relkind = 'v'
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}
