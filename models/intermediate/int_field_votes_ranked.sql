{{ config(materialized='view') }}

{#-
    Every value ever reported for every (listing, field), tallied and ranked by the
    consensus rule `majority_of_latest_reports` (macros/majority_of_latest_reports.sql).
    A view over the whole history, for analysts and for the rule's unit tests;
    listing_consensus applies the same macro to the listings a run touches.
-#}

with

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
),

ranked_votes as (
    {{ majority_of_latest_reports('listing_reports') }}
)

select * from ranked_votes
