{#- Pre-hook of every model (dbt_project.yml): the planner settings of its transaction.

    jit = off: PostgreSQL's JIT spent seconds compiling our wide CASE/regex expressions
    (8.5 s on a 1,000-row incremental staging query that runs in 0.3 s without it).

    enable_nestloop = off: every join here is either a whole table to a whole table (a
    full build) or the touched listings' rows to the touched listings' rows (an
    incremental run, read by index with `= any(array(...))`), and both are hash or merge
    joins. A nested loop only wins when the planner is sure one side is tiny, and it is
    not: it estimates a CTE read more than once, or an array of touched listings, blindly.
    Estimates of 1 or 128 rows made a self-join of 17,499 disputed votes
    (int_coordinated_groups, 306 M comparisons, 57 s at 300k raw rows) and re-sorted the
    touched reports once per report (miner_attestations, minutes for one new file).
    Lateral joins (unpivoting, JSON arrays) still loop: they have no other plan.

    work_mem = var model_work_mem (256MB): PostgreSQL's 4MB default sent the hash joins and
    sorts of whole histories to temporary files (miner_reliability: 1.7 GB of them at 1M
    raw rows with 4MB, 0.2 GB with 256MB). It lasts for the model's transaction only.

    Index builds (dbt's `indexes` config, in the same transaction) run in one process with
    var model_maintenance_work_mem (1GB): a parallel build always writes its workers'
    sorted runs to temporary files (0.9 GB over a full build at 1M raw rows, 83 MB at
    100k), and the 2 cores are busy with other models anyway.

    enable_mergejoin = off in an incremental run (but not in a refresh on growth, which
    reads all of history): the run reads the touched listings' rows by index with
    `= any(array(...))`, which the planner estimates at a few hundred rows whatever the
    array holds, so it sorted both sides for merge joins. At 1M raw rows a 1,000-row file
    touches about 120k votes: int_consensus_votes' changed_rows statement spent 0.7 of its
    1.0 s sorting them by (zpid, field_name, source_id) for a merge full join, and
    int_miner_listing_agreement sorted 118k votes to merge them with the published values.
    A hash join reads each side once, unsorted. -#}
{% macro planner_settings() -%}
    set local jit = off;
    set local enable_nestloop = off;
    set local work_mem = '{{ var("model_work_mem") }}';
    set local max_parallel_maintenance_workers = 0;
    set local maintenance_work_mem = '{{ var("model_maintenance_work_mem") }}'
    {%- if is_incremental() and not is_refreshed_on_growth() %};
    set local enable_mergejoin = off
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of a model whose plan must loop anyway (a lateral unnest) and that has no join
    a nested loop could ruin. On PostgreSQL 15, enable_nestloop = off does not forbid the
    lateral's loop, it adds a "disable cost" of 1e10 to it, and every plan above it then
    costs the same within the planner's 1% fuzz: int_listing_rows_normalized (its street
    suffixes are unnested) kept a merge join that sorted all 1M rows to disk (404 MB) to
    join the 52-row us_states seed. With nested loops on it hashes: 63 -> 50 s, no temporary
    files. (PostgreSQL 18 counts disabled nodes apart from costs and has no such problem.) -#}
{% macro nested_loops_allowed() -%}
    set local enable_nestloop = on
{%- endmacro %}

{#- Pre-hook of a model whose rows cost the database far more than its planner counts
    (every regular expression and cast is one operator to it): int_listing_rows_normalized.
    In a full build the planner may keep its select in one process, the parallel workers'
    hand-over of the rows looking dearer to it than their work; with the hand-over priced
    near nothing, the per-row expressions run in two workers and the leader. At 1M raw
    rows, with its casts evaluated once (macros/normalize.sql): 50.0 s in one process,
    29.7 and 30.6 s with the workers (34.5 s before both changes, when the planner chose
    the workers itself). Nothing in an incremental run: a few new files are not worth
    starting workers for. -#}
{% macro parallel_workers_in_full_build() -%}
    {%- if not is_incremental() -%}
        set local parallel_setup_cost = 0;
        set local parallel_tuple_cost = 0.001
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the network-wide estimates that join and group the disputed votes
    (int_coordinated_groups, int_source_reliability): the rows of int_consensus_votes that
    pass a filter on its unnested fields, which the planner cannot estimate. Expecting a
    few thousand where there are millions, it sorted them for merge joins and for sort-based
    groupings, all to disk; hash joins and hash aggregates read each side once, unsorted,
    and a hash aggregate writes out only what does not fit. At 10M raw rows, each model
    alone (with int_coordinated_groups' pairs counted listing by listing, see there):
    int_coordinated_groups 122.7 and 134.9 s with 4,426 MB of temporary files before,
    45.8 and 52.6 s with 346 MB after; int_source_reliability 79.6 s with 1,602 MB before,
    71.9 and 60.2 s with 280 MB after. Both settings count: with merge joins alone off,
    int_source_reliability still sorted to group (a tenth of the memory at 1M raw rows:
    81 MB of temporary files, 27 MB with both). A sort that a window needs still runs:
    the settings only price sorts out where there is another way. -#}
{% macro hash_joins_and_aggregates() -%}
    set local enable_mergejoin = off;
    set local enable_sort = off
{%- endmacro %}

{#- Pre-hook of the models that are incremental by file (staging to field reports): an
    incremental run reads the rows of a few new files by the file_id index, a nested loop
    over the new files; without it, it scans every row of history to find them. -#}
{% macro nested_loops_by_file() -%}
    {%- if is_incremental() -%}
        set local enable_nestloop = on
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of int_listing_reports: a full build writes the reports in zpid order, and it
    reads them in that order by int_listing_rows_normalized's zpid index, through nested
    loops (each keeps its outer side's order) to the small tables it joins, rather than
    sorting every row. At 10M raw rows that sort wrote 4.4 GB of temporary files, more
    than the raw table. An incremental run appends a few files' rows, unsorted. -#}
{% macro listing_order_by_index() -%}
    {%- if is_incremental() -%}
        select 1
    {%- else -%}
        set local enable_nestloop = on;
        set local enable_hashjoin = off;
        set local enable_mergejoin = off;
        set local enable_sort = off
    {%- endif -%}
{%- endmacro %}

{#- Closes a CTE whose computed columns the next CTEs read more than once (a cast, a
    regular expression): `offset 0` keeps PostgreSQL from folding the subquery into the
    query that reads it, where each reference would evaluate the expression again. Unlike
    `as materialized`, nothing is copied: the rows stream through, once. It also closes a
    CTE whose few computed columns a grouping above reads: folded in, the grouping took
    the CTE's wide input rows, sorted them, and worked the expressions out in its
    aggregates (int_miner_listing_agreement's per-report method terms). -#}
{% macro evaluate_once_per_row() -%}
    offset 0
{%- endmacro %}
