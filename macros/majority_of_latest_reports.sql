{#-
    THE consensus rule, in one place: "majority of latest reports".

    Input: a relation (or CTE name) of whole reports, one row per report with its typed
    field columns (listing_fields()), as int_listing_reports: zpid, miner_hotkey,
    submitted_at (server time), file_id, row_index. Each report counts once per field it
    has a value for, as that value's canonical text (canonical_text()).

    Output: one row per (zpid, field_name, field_value) ever reported, with
      miner_count       distinct miners whose CURRENT vote is this value. A miner's current
                        vote for a field is its own most recent report of that field, by
                        server time (ties: later file, then later row). Older reports stay
                        in the history but do not vote. NULLs are never in the input: a
                        NULL is "not reported", never a vote.
      submission_count  all reports of this value, by any miner, at any time
      first_reported_at, last_reported_at   server time of the first and last such report
      voter_count       miners with a current vote on this field of this listing
      confidence_score  miner_count / voter_count
      value_rank        1 = the consensus value. Order: most current votes, then most
                        submissions, then the most recent report, then the smallest value
                        text (byte order, collation "C"), so the result never depends on
                        row order or on the database's locale.
      is_consensus      value_rank = 1

    How: the reports are sorted once per (listing, miner), newest first, and a report's
    value is the miner's current vote when no newer report of that miner has the field.
    A field that only ever had one value on a listing (nine in ten) is tallied per
    listing, a column per field: its one value is the consensus, voted by every miner
    that reported it. Only the fields with rival values become one row per report and are
    tallied and ranked per value; their reports are gathered per listing in the same pass
    (arrays), so the sorted reports are read once and never copied.

    To change the rule, change this macro: int_field_votes_ranked and listing_consensus
    both call it, and its unit tests (models/intermediate/_intermediate__models.yml) say
    what it must do.
-#}
{% macro majority_of_latest_reports(listing_reports) %}
    with

    -- each report's fields as canonical text; per field whether the report is its miner's
    -- current vote (no newer report of the same miner has the field) and whether the
    -- listing ever had more than one value for the field
    reports_with_current_votes as (
        select
            zpid,
            submitted_at,
            {%- for field in listing_fields() %}
            {{ canonical_text(field.name, field.data_type) }} as {{ field.name }},
            count({{ field.name }}) over newer_reports = 0 as {{ field.name }}_is_current,
            min({{ field.name }}) over listing != max({{ field.name }}) over listing
                as {{ field.name }}_has_rivals
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ listing_reports }}
        window
            listing as (partition by zpid),
            newer_reports as ({{ newer_reports_of_the_miner() }})
    ),

    -- one pass over the reports, per listing, a column per field: the fields with one
    -- value are tallied here; the reports of the fields with rival values are gathered
    -- into arrays (value, current vote, server time) to be unnested below, so the reports
    -- are read once and not copied
    listing_tallies as (
        select
            zpid,
            {%- for field in listing_fields() %}
            {%- set reported = field.name ~ ' is not null and not ' ~ field.name ~ '_has_rivals' %}
            {%- set rival = field.name ~ ' is not null and ' ~ field.name ~ '_has_rivals' %}
            min({{ field.name }}) filter (where {{ reported }}) as {{ field.name }},
            count(*) filter (where {{ reported }} and {{ field.name }}_is_current)
                as {{ field.name }}_miner_count,
            count(*) filter (where {{ reported }}) as {{ field.name }}_submission_count,
            min(submitted_at) filter (where {{ reported }}) as {{ field.name }}_first_reported_at,
            max(submitted_at) filter (where {{ reported }}) as {{ field.name }}_last_reported_at,
            array_agg({{ field.name }}) filter (where {{ rival }}) as {{ field.name }}_rival_values,
            array_agg({{ field.name }}_is_current) filter (where {{ rival }})
                as {{ field.name }}_rival_is_current,
            array_agg(submitted_at) filter (where {{ rival }}) as {{ field.name }}_rival_submitted_at
            {{- ',' if not loop.last }}
            {%- endfor %}
        from reports_with_current_votes
        group by zpid
    ),

    one_value_ranked as (
        select
            listing_tallies.zpid,
            tally.field_name,
            tally.field_value,
            tally.miner_count,
            tally.submission_count,
            tally.first_reported_at,
            tally.last_reported_at,
            -- every miner that reported the field votes for its one value
            tally.miner_count as voter_count,
            1 as value_rank
        from listing_tallies
        cross join
            lateral (
                values
                {%- for field in listing_fields() %}
                (
                    '{{ field.name }}' collate "C",
                    listing_tallies.{{ field.name }},
                    listing_tallies.{{ field.name }}_miner_count,
                    listing_tallies.{{ field.name }}_submission_count,
                    listing_tallies.{{ field.name }}_first_reported_at,
                    listing_tallies.{{ field.name }}_last_reported_at
                ){{ ',' if not loop.last }}
                {%- endfor %}
            ) as tally (
                field_name,
                field_value,
                miner_count,
                submission_count,
                first_reported_at,
                last_reported_at
            )
        where tally.field_value is not null
    ),

    -- the fields with rival values: one row per report and field
    rival_reports as (
        {%- for field in listing_fields() %}
        select
            listing_tallies.zpid,
            '{{ field.name }}' collate "C" as field_name,
            report.field_value,
            report.is_current,
            report.submitted_at
        from listing_tallies
        cross join
            lateral unnest(
                listing_tallies.{{ field.name }}_rival_values,
                listing_tallies.{{ field.name }}_rival_is_current,
                listing_tallies.{{ field.name }}_rival_submitted_at
            ) as report (field_value, is_current, submitted_at)
        where listing_tallies.{{ field.name }}_rival_values is not null
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    ),

    -- one pass over the reports: the current votes and the value's whole history,
    -- counted together
    rival_tallies as (
        select
            zpid,
            field_name,
            field_value,
            count(*) filter (where is_current) as miner_count,
            count(*) as submission_count,
            min(submitted_at) as first_reported_at,
            max(submitted_at) as last_reported_at
        from rival_reports
        group by zpid, field_name, field_value
    ),

    rival_ranked as (
        select
            *,
            sum(miner_count) over (partition by zpid, field_name) as voter_count,
            row_number() over (
                partition by zpid, field_name
                order by
                    miner_count desc,
                    submission_count desc,
                    last_reported_at desc,
                    field_value collate "C" asc
            ) as value_rank
        from rival_tallies
    ),

    ranked as (
        select * from one_value_ranked
        union all
        select * from rival_ranked
    )

    select
        zpid,
        field_name,
        field_value,
        miner_count::integer as miner_count,
        submission_count::integer as submission_count,
        first_reported_at,
        last_reported_at,
        voter_count::integer as voter_count,
        round(miner_count::numeric / nullif(voter_count, 0), 6) as confidence_score,
        value_rank::integer as value_rank,
        value_rank = 1 as is_consensus
    from ranked
{% endmacro %}

{#- The window frame of a report's newer reports by the same miner on the same listing, in
    the rule's order: server time, then the later file, then the later row. A report's
    value is the miner's current vote on a field when no report in this frame has the
    field (`count(field) over ... = 0`). int_miner_listing_agreement reads the current
    votes the same way. -#}
{% macro newer_reports_of_the_miner() -%}
    partition by zpid, miner_hotkey
    order by submitted_at desc, file_id desc, row_index desc
    rows between unbounded preceding and 1 preceding
{%- endmacro %}
