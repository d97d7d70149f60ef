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

{#- One row per hotkey that has a file: the file_id of its first file, the key the
    models store for a miner (int_listing_intervals) and, through hotkey_sources(), for a
    source. raw.source_files is append-only and its ids grow, so a hotkey's first file
    never changes once it has one, and a full build gives the same keys as incremental
    runs. -#}
{% macro hotkey_first_files() %}
    select
        miner_hotkey,
        min(file_id) as file_id
    from {{ ref('stg_raw__source_files') }}
    where miner_hotkey is not null
    group by miner_hotkey
{% endmacro %}

{#- One row per hotkey that has a file: its source (source_id_of) and the source's key,
    source_key: the first file of any of the source's hotkeys (hotkey_first_files()). The
    models that store a row per vote keep the key (8 bytes) rather than the source's text
    (49 bytes for a hotkey). (A seed that moves a hotkey to another coldkey changes sources
    and keys alike: the seed's instruction rebuilds int_report_origins and all after it.) -#}
{% macro hotkey_sources() %}
    select
        first_files.miner_hotkey,
        {{ source_id_of('first_files.miner_hotkey', 'miner_uids') }} as source_id,
        min(first_files.file_id) over (
            partition by {{ source_id_of('first_files.miner_hotkey', 'miner_uids') }}
        ) as source_key
    from ({{ hotkey_first_files() }}) as first_files
    left join {{ ref('miner_uids') }} as miner_uids
        on first_files.miner_hotkey = miner_uids.miner_hotkey
{% endmacro %}

{#- One row per source: its key and its source_id (hotkey_sources()). -#}
{% macro source_names() %}
    select distinct
        hotkey_sources.source_key,
        hotkey_sources.source_id
    from ({{ hotkey_sources() }}) as hotkey_sources
{% endmacro %}
