{#- The independent source a hotkey belongs to: its coldkey when the miner_uids seed has a
    `coldkey` column with a value for it (the network's metagraph), else the hotkey itself.
    `miner_uids` is the alias the seed is joined under. -#}
{% macro source_id_of(hotkey_expr, miner_uids) -%}
    {%- set found = namespace(coldkey=false) -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database,
            schema=generate_schema_name('reference', none),
            identifier='miner_uids'
        ) -%}
        {%- if relation is not none -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- if column.name | lower == 'coldkey' -%}{%- set found.coldkey = true -%}{%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if found.coldkey -%}
        coalesce('coldkey:' || nullif({{ miner_uids }}.coldkey::text, ''), {{ hotkey_expr }})
    {%- else -%}
        {{ hotkey_expr }}
    {%- endif -%}
{%- endmacro %}
