{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key='zpid',
        listing_slices=true,
        row_key=['zpid', 'field_name', 'valid_from'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['zpid', 'field_name', 'valid_from'], 'unique': true},
        ],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    One row per (zpid, field_name, valid_from): the intervals over which each field of each
    listing held one value, by observation time; the stored body of the listing_history
    mart, its miners as keys (miner_keys, below), which the mart's view reads as hotkeys.
    The rule is `history_rule` (models/marts/history/_history__docs.md). Incremental: a
    run recomputes the whole history of the listings its new reports touch (a late
    observation can land anywhere in it), and writes the intervals that changed
    (changed_rows). Every touched listing has intervals (each field it ever reported has
    one), so no listing's rows are left stale; the listing_changes mart, whose listings
    can lose all their changes, deletes them first.

    A miner's key is the file_id of its first file (hotkey_first_files(),
    macros/source_id_of.sql): it never changes once the miner has a file, and a full build
    gives the same keys as incremental runs. Stored as hotkeys, the interval's miners were 485 of
    651 MB at 1M raw rows (6.4 hotkeys of 48 characters a row); as keys, 8 bytes each.
-#}

with
{% if is_incremental() %}
touched_listings as (
    {{ touched_zpids() }}
),
{% endif %}
listing_reports as (
    select * from {{ ref('int_listing_reports') }}
    {{- only_listings_to_build() }}
),

-- each miner's key: the file_id of its first file (see above)
miners as (
    select
        first_files.miner_hotkey,
        first_files.file_id as miner_key
    from ({{ hotkey_first_files() }}) as first_files
),

-- each report with its observation time and its miner's key
observed_reports as (
    select
        listing_reports.*,
        {{ observed_at('listing_reports') }} as observed_at,
        miners.miner_key
    from listing_reports
    inner join miners on listing_reports.miner_hotkey = miners.miner_hotkey
),

-- each report in its miner's own order (by observation time): its place in that order,
-- and per field with a value: whether the miner reported the field before, and when the
-- miner's next report of the field replaces it. The reports are sorted per (listing,
-- miner), once in each direction, not once per field.
reports_in_miner_order as (
    select
        {%- for field in listing_fields() if field.name != 'datetime' %}
        {%- set column = 'observed_reports.' ~ field.name %}
        {{ canonical_text(column, field.data_type) }} as {{ field.name }},
        count({{ column }}) over earlier_reports > 0 as {{ field.name }}_was_reported,
        min(observed_reports.observed_at) filter (where {{ column }} is not null)
            over later_reports as {{ field.name }}_superseded_at,
        {%- endfor %}
        row_number() over miner_sequence as miner_report_number,
        observed_reports.zpid,
        observed_reports.miner_key,
        observed_reports.observed_at
    from observed_reports
    window
        miner_sequence as (
            partition by observed_reports.zpid, observed_reports.miner_key
            order by
                observed_reports.observed_at,
                observed_reports.submitted_at,
                observed_reports.file_id,
                observed_reports.row_index
        ),
        earlier_reports as (miner_sequence rows between unbounded preceding and 1 preceding),
        -- the miner's later reports, as the reports before this one newest first: a frame
        -- that starts at the group's first row grows one row at a time, where one that
        -- ends at its last row (`1 following and unbounded following`) is aggregated
        -- again for every row (min has no inverse), quadratic in the miner's reports of
        -- the listing (a daily re-scrape for a year). Its own sort, within each
        -- (listing, miner) group the first sort made.
        later_reports as (
            partition by observed_reports.zpid, observed_reports.miner_key
            order by
                observed_reports.observed_at desc,
                observed_reports.submitted_at desc,
                observed_reports.file_id desc,
                observed_reports.row_index desc
            rows between unbounded preceding and 1 preceding
        )
),

-- per report and field, across the listing: whether more than one value was ever
-- reported for the field (its history needs the steps), when it was first observed, and
-- the report's part in a one-value history (below)
reports_in_listing as (
    select
        {%- for field in listing_fields() if field.name != 'datetime' %}
        {%- set name = field.name %}
        {{ name }},
        {{ name }}_was_reported,
        {{ name }}_superseded_at,
        min({{ name }}) over listing != max({{ name }}) over listing as {{ name }}_has_rivals,
        min(observed_at) filter (where {{ name }} is not null) over listing
            as {{ name }}_first_observed_at,
        {%- endfor %}
        zpid,
        miner_key,
        miner_report_number,
        observed_at
    from reports_in_miner_order
    window listing as (partition by zpid)
),

-- a field only ever reported with one value (nine in ten) holds it in one interval from
-- its first observation on: no steps to replay. Its sources are every report still a
-- miner's latest at some time after the interval opened; its opening count the miners
-- whose first report is that observation. Worked out per listing, a column per field.
-- The same pass gathers the reports of the fields with rival values into arrays (below),
-- so the sorted reports are read once and never copied.
fields_per_listing as (
    select
        {%- for field in listing_fields() if field.name != 'datetime' %}
        {%- set name = field.name %}
        {%- set reported = name ~ ' is not null and not ' ~ name ~ '_has_rivals' %}
        {%- set superseded_at = 'coalesce(' ~ name ~ "_superseded_at, 'infinity')" %}
        {%- set first_seen = name ~ '_first_observed_at' %}
        {%- set is_source = reported ~ ' and ' ~ superseded_at ~ ' > ' ~ first_seen %}
        {%- set first_report = 'not ' ~ name ~ '_was_reported' %}
        {%- set opens = reported ~ ' and ' ~ first_report ~ ' and observed_at = ' ~ first_seen %}
        min({{ name }}) filter (where {{ reported }}) as {{ name }},
        min(observed_at) filter (where {{ reported }}) as {{ name }}_valid_from,
        -- its miner count is this array's length (miner_key is never null): one sort
        -- of the group's reports per field, not a second one for count(distinct ...)
        array_agg(distinct miner_key order by miner_key) filter (where {{ is_source }})
            as {{ name }}_miner_keys,
        count(*) filter (where {{ is_source }}) as {{ name }}_report_count,
        min(observed_at) filter (where {{ is_source }}) as {{ name }}_first_observed_at,
        max(observed_at) filter (where {{ is_source }}) as {{ name }}_last_observed_at,
        count(*) filter (where {{ opens }}) as {{ name }}_opening_count,
        {%- set rival = name ~ ' is not null and ' ~ name ~ '_has_rivals' %}
        array_agg({{ name }}) filter (where {{ rival }}) as {{ name }}_rival_values,
        array_agg(miner_key) filter (where {{ rival }}) as {{ name }}_rival_miner_keys,
        array_agg(observed_at) filter (where {{ rival }}) as {{ name }}_rival_observed_at,
        array_agg(miner_report_number) filter (where {{ rival }})
            as {{ name }}_rival_report_numbers,
        array_agg({{ name }}_superseded_at) filter (where {{ rival }})
            as {{ name }}_rival_superseded_at,
        {%- endfor %}
        zpid
    from reports_in_listing
    group by zpid
),

single_value_intervals as (
    select
        fields_per_listing.zpid,
        one_value.field_name,
        one_value.field_value,
        one_value.valid_from,
        null::timestamptz as valid_to,
        one_value.miner_keys,
        one_value.miner_count,
        one_value.report_count,
        one_value.first_observed_at,
        one_value.last_observed_at,
        one_value.opening_count as opening_miner_count,
        one_value.opening_count as opening_voter_count
    from fields_per_listing
    cross join
        lateral (
            values
            {%- for field in listing_fields() if field.name != 'datetime' %}
            (
                '{{ field.name }}' collate "C",
                fields_per_listing.{{ field.name }},
                fields_per_listing.{{ field.name }}_valid_from,
                fields_per_listing.{{ field.name }}_miner_keys,
                coalesce(cardinality(fields_per_listing.{{ field.name }}_miner_keys), 0),
                fields_per_listing.{{ field.name }}_report_count,
                fields_per_listing.{{ field.name }}_first_observed_at,
                fields_per_listing.{{ field.name }}_last_observed_at,
                fields_per_listing.{{ field.name }}_opening_count
            ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as one_value (
            field_name,
            field_value,
            valid_from,
            miner_keys,
            miner_count,
            report_count,
            first_observed_at,
            last_observed_at,
            opening_count
        )
    where one_value.field_value is not null
),

-- the fields with rival values: every report of the field at its observation time, and
-- when the miner's next report of the field replaces it
rival_field_reports as (
    {%- for field in listing_fields() if field.name != 'datetime' %}
    {%- set arrays = 'fields_per_listing.' ~ field.name ~ '_rival_' %}
    select
        fields_per_listing.zpid,
        -- RF03: sqlfluff takes the collation "C" for a column reference
        '{{ field.name }}' collate "C" as field_name,  -- noqa: RF03
        report.field_value,
        report.miner_key,
        report.observed_at,
        report.report_number,
        report.superseded_at
    from fields_per_listing
    cross join
        lateral unnest(
            {{ arrays }}values,
            {{ arrays }}miner_keys,
            {{ arrays }}observed_at,
            {{ arrays }}report_numbers,
            {{ arrays }}superseded_at
        ) as report (field_value, miner_key, observed_at, report_number, superseded_at)
    where {{ arrays }}values is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

-- with the value each report replaces in its miner's vote: the miner's previous value of
-- the field (these are all its reports of the field, in its own order)
rival_reports as (
    select
        zpid,
        field_name,
        field_value,
        miner_key,
        observed_at,
        lag(field_value) over (
            partition by zpid, field_name, miner_key
            order by report_number
        ) as replaced_value,
        superseded_at
    from rival_field_reports
),

vote_moves as (
    -- a miner's vote moves when it reports a value other than its previous one:
    -- one vote more for the new value, one fewer for the value it leaves
    select
        zpid,
        field_name,
        observed_at,
        field_value,
        1 as vote_delta
    from rival_reports
    where replaced_value is distinct from field_value
    union all
    select
        zpid,
        field_name,
        observed_at,
        replaced_value as field_value,
        -1 as vote_delta
    from rival_reports
    where replaced_value != field_value
),

vote_moves_per_step as (
    select
        zpid,
        field_name,
        field_value,
        observed_at,
        sum(vote_delta) as vote_delta
    from vote_moves
    group by zpid, field_name, field_value, observed_at
),

observation_steps as (
    -- the times at which some miner's vote moved: between them no count changes
    select distinct
        zpid,
        field_name,
        observed_at
    from vote_moves_per_step
),

reported_values as (
    select distinct
        zpid,
        field_name,
        field_value
    from rival_reports
),

step_votes as (
    -- at each observation step, the miners whose latest observation is each value
    select
        observation_steps.zpid,
        observation_steps.field_name,
        observation_steps.observed_at,
        reported_values.field_value,
        sum(coalesce(vote_moves_per_step.vote_delta, 0)) over (
            partition by
                observation_steps.zpid,
                observation_steps.field_name,
                reported_values.field_value
            order by observation_steps.observed_at
        ) as miner_count
    from observation_steps
    inner join reported_values
        on
            observation_steps.zpid = reported_values.zpid
            and observation_steps.field_name = reported_values.field_name
    left join vote_moves_per_step
        on
            observation_steps.zpid = vote_moves_per_step.zpid
            and observation_steps.field_name = vote_moves_per_step.field_name
            and reported_values.field_value = vote_moves_per_step.field_value
            and observation_steps.observed_at = vote_moves_per_step.observed_at
),

ranked_step_votes as (
    select
        *,
        rank() over (
            partition by zpid, field_name, observed_at
            order by miner_count desc
        ) as vote_rank,
        sum(miner_count) over (partition by zpid, field_name, observed_at) as voter_count
    from step_votes
),

step_leaders as (
    -- the leading value of each step, or NULL when two or more values tie for the lead
    select
        zpid,
        field_name,
        observed_at,
        case when count(*) = 1 then min(field_value) end as leading_value,
        max(miner_count) as leading_miner_count,
        max(voter_count) as voter_count
    from ranked_step_votes
    where vote_rank = 1
    group by zpid, field_name, observed_at
),

decision_groups as (
    -- a tie decides nothing: it joins the group of the last step that had a leader
    select
        *,
        count(leading_value) over (
            partition by zpid, field_name
            order by observed_at
        ) as decision_group
    from step_leaders
),

held_values as (
    select
        zpid,
        field_name,
        observed_at,
        leading_miner_count,
        voter_count,
        first_value(leading_value) over (
            partition by zpid, field_name, decision_group
            order by observed_at
        ) as field_value
    from decision_groups
    where decision_group > 0
),

value_changes as (
    select
        *,
        lag(field_value) over (
            partition by zpid, field_name
            order by observed_at
        ) as previous_value
    from held_values
),

intervals as (
    select
        zpid,
        field_name,
        field_value,
        observed_at as valid_from,
        lead(observed_at) over (
            partition by zpid, field_name
            order by observed_at
        ) as valid_to,
        leading_miner_count as opening_miner_count,
        voter_count as opening_voter_count
    from value_changes
    where previous_value is distinct from field_value
),

interval_sources as (
    -- the reports of the interval's value that were a miner's latest observation at some
    -- time within the interval
    select
        intervals.zpid,
        intervals.field_name,
        intervals.valid_from,
        array_agg(
            distinct rival_reports.miner_key order by rival_reports.miner_key
        ) as miner_keys,
        count(distinct rival_reports.miner_key) as miner_count,
        count(*) as report_count,
        min(rival_reports.observed_at) as first_observed_at,
        max(rival_reports.observed_at) as last_observed_at
    from intervals
    inner join rival_reports
        on
            intervals.zpid = rival_reports.zpid
            and intervals.field_name = rival_reports.field_name
            and intervals.field_value = rival_reports.field_value
            and rival_reports.observed_at < coalesce(intervals.valid_to, 'infinity')
            and coalesce(rival_reports.superseded_at, 'infinity') > intervals.valid_from
    group by intervals.zpid, intervals.field_name, intervals.valid_from
),

rival_value_intervals as (
    select
        intervals.zpid,
        intervals.field_name,
        intervals.field_value,
        intervals.valid_from,
        intervals.valid_to,
        interval_sources.miner_keys,
        interval_sources.miner_count,
        interval_sources.report_count,
        interval_sources.first_observed_at,
        interval_sources.last_observed_at,
        intervals.opening_miner_count,
        intervals.opening_voter_count
    from intervals
    inner join interval_sources
        on
            intervals.zpid = interval_sources.zpid
            and intervals.field_name = interval_sources.field_name
            and intervals.valid_from = interval_sources.valid_from
),

all_intervals as (
    select * from rival_value_intervals
    union all
    select * from single_value_intervals
),

final as (
    select
        zpid,
        field_name,
        field_value,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        miner_keys,
        miner_count::integer as miner_count,
        report_count::integer as report_count,
        first_observed_at,
        last_observed_at,
        opening_miner_count::integer as opening_miner_count,
        opening_voter_count::integer as opening_voter_count
    from all_intervals
)

select * from final
