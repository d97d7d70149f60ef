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
    Only then does each report become one row per field, already in listing order, so
    the tally needs no second sort of the listing x field x report rows.

    To change the rule, change this macro: int_field_votes_ranked and listing_consensus
    both call it, and its unit tests (models/intermediate/_intermediate__models.yml) say
    what it must do.
-#}
{% macro majority_of_latest_reports(listing_reports) %}
    with

    -- each report's fields as canonical text, and per field whether the report is its
    -- miner's current vote: no newer report of the same miner has the field
    reports_with_current_votes as (
        select
            zpid,
            submitted_at,
            {%- for field in listing_fields() %}
            {{ canonical_text(field.name, field.data_type) }} as {{ field.name }},
            count({{ field.name }}) over newer_reports = 0 as {{ field.name }}_is_current
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ listing_reports }}
        window newer_reports as (
            partition by zpid, miner_hotkey
            order by submitted_at desc, file_id desc, row_index desc
            rows between unbounded preceding and 1 preceding
        )
    ),

    field_reports as (
        select
            reports.zpid,
            field_pairs.field_name,
            field_pairs.field_value,
            field_pairs.is_current,
            reports.submitted_at
        from reports_with_current_votes as reports
        cross join
            lateral (
                values
                {%- for field in listing_fields() %}
                (
                    '{{ field.name }}',
                    reports.{{ field.name }},
                    reports.{{ field.name }}_is_current
                ){{ ',' if not loop.last }}
                {%- endfor %}
            ) as field_pairs (field_name, field_value, is_current)
        where field_pairs.field_value is not null
    ),

    -- one pass over the reports: the current votes and the value's whole history,
    -- counted together
    tallied as (
        select
            zpid,
            field_name,
            field_value,
            count(*) filter (where is_current) as miner_count,
            count(*) as submission_count,
            min(submitted_at) as first_reported_at,
            max(submitted_at) as last_reported_at
        from field_reports
        group by zpid, field_name, field_value
    ),

    ranked as (
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
        from tallied
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
