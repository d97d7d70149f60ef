{#-
    THE consensus rule, in one place: "majority of latest reports".

    Input: a relation (or CTE name) of field reports, one row per (listing, field, report)
    with a non-null value: zpid, field_name, field_value (canonical text), miner_hotkey,
    submitted_at (server time), file_id, row_index.

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

    To change the rule, change this macro: int_field_votes_ranked and listing_consensus
    both call it, and its unit tests (models/intermediate/_intermediate__models.yml) say
    what it must do.
-#}
{% macro majority_of_latest_reports(field_reports) %}
    with

    latest_report_per_miner as (
        select
            zpid,
            field_name,
            field_value,
            submitted_at,
            row_number() over (
                partition by zpid, field_name, miner_hotkey
                order by submitted_at desc, file_id desc, row_index desc
            ) as miner_recency_rank
        from {{ field_reports }}
    ),

    -- one pass over the reports: the current votes (each miner's latest report) and the
    -- value's whole history, counted together
    tallied as (
        select
            zpid,
            field_name,
            field_value,
            count(*) filter (where miner_recency_rank = 1) as miner_count,
            count(*) as submission_count,
            min(submitted_at) as first_reported_at,
            max(submitted_at) as last_reported_at
        from latest_report_per_miner
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
