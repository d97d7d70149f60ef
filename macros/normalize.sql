{#-
    Normalization helpers: one canonical text form per kind of value, so that the same
    listing written by different miners (and different pandas dtypes) compares equal.
-#}

{#- Upper case, periods dropped, runs of whitespace collapsed, ", " between parts. -#}
{% macro normalize_text(expr) -%}
    nullif(
        btrim(regexp_replace(regexp_replace(upper({{ expr }}), '\s+', ' ', 'g'), ' ?, ?', ', ', 'g'), ' ,'),
        ''
    )
{%- endmacro %}

{#- Upper-case letters only: the key that the enum seeds are looked up by
    ('SingleFamily', 'single family', 'SINGLE_FAMILY' -> 'SINGLEFAMILY'). -#}
{% macro enum_key(expr) -%}
    nullif(regexp_replace(upper({{ expr }}), '[^A-Z]', '', 'g'), '')
{%- endmacro %}

{#- zpid as digits only: '20077123', '20077123.0', '2.0077123e7', ' 20077123 ',
    '20077123_zpid' -> '20077123'. Positive whole numbers only, else NULL. In collation
    "C" (byte order), like the other keys (miner_hotkey, source_id, field_name): the
    models sort and join on them, and a byte comparison is cheaper than the database
    locale's (at 1M raw rows, sorting the votes on their keys took 18 s in "C" and 26 s in
    C.UTF-8) and gives the same order on every server.
    Two steps, with evaluate_once_per_row() between them: zpid_number() reads the text,
    normalize_zpid() the number it gave. The whole-number check reads the number four
    times, and the number reads its text three times: as one expression, the text's
    regular expressions ran twelve times a row (1.0 s per 100k rows, against 0.2 s). -#}
{% macro zpid_number(expr) -%}
    {{ safe_cast_numeric("regexp_replace(" ~ expr ~ ", '_zpid\\s*$', '', 'i')") }}
{%- endmacro %}

{% macro normalize_zpid(number_expr) -%}
    ({{ numeric_to_integer(number_expr, 'bigint') }})::text collate "C"
{%- endmacro %}

{#- zpid validity on the normalized text (positive, at most 15 digits). -#}
{% macro is_valid_zpid(zpid_expr) -%}
    coalesce({{ zpid_expr }} ~ '^[1-9][0-9]{0,14}$', false)
{%- endmacro %}

{#- A 5-digit zip from a zip column as text: '77494', '77494-1234', 8701 -> '08701',
    '8701.0' -> '08701'. Else NULL. number_expr: the text's safe_cast_numeric(), worked out
    in an earlier step (evaluate_once_per_row(), as for normalize_zpid()). -#}
{% macro normalize_zip(expr, number_expr) -%}
    (case
        when btrim({{ expr }}) ~ '^[0-9]{5}(-?[0-9]{4})?$' then left(btrim({{ expr }}), 5)
        when {{ numeric_to_integer(number_expr) }} between 0 and 99999
            then lpad({{ numeric_to_integer(number_expr) }}::text, 5, '0')
    end)
{%- endmacro %}

{#- Numbers in their canonical text: no trailing zeros, no exponent ('2.50' -> '2.5'). -#}
{% macro canonical_numeric_text(expr) -%}
    trim_scale({{ expr }})::text
{%- endmacro %}

{#- Timestamps in their canonical text: UTC, ISO 8601, microseconds, 'Z'. -#}
{% macro canonical_timestamp_text(expr) -%}
    to_char({{ expr }} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
{%- endmacro %}

{#- Canonical text of a typed listing value, by the field's type in listing_fields(). In
    collation "C", like the keys (normalize_zpid()): the models compare, sort and group the
    values by this text, and a byte comparison is the cheapest. The unified listings give
    their text columns back the database's collation (int_unified_listings). -#}
{% macro canonical_text(expr, data_type) -%}
    (
    {%- if data_type == 'numeric' -%}
        {{ canonical_numeric_text(expr) }}
    {%- elif data_type == 'timestamptz' -%}
        {{ canonical_timestamp_text(expr) }}
    {%- elif data_type == 'text' -%}
        {{ expr }}
    {%- else -%}
        ({{ expr }})::text
    {%- endif -%}
    ) collate "C"
{%- endmacro %}

{#- SHA-256 (hex) of the canonical JSON array of a normalized listing: zpid, then the
    hashed fields of listing_fields() in their canonical texts (see the data_hash docs). -#}
{% macro listing_data_hash() -%}
    encode(sha256(convert_to(jsonb_build_array(
        zpid
        {%- for field in listing_fields() if field.hashed %},
        {{ canonical_text(field.name, field.data_type) }}
        {%- endfor %}
    )::text, 'UTF8')), 'hex')
{%- endmacro %}

{#- The tail ", City, ST 12345" (or "-6789") of an address in normalize_text()'s form, as
    array[city, state, zip], else NULL: what the regular expression
    `, ([^,]+), ([A-Z]{2}) ([0-9]{5})(?:-?[0-9]{4})?$` matches, read from the address's
    last two comma-separated parts. In that form every comma is followed by one space, so
    the parts are split on ', '; the city part must be preceded by another part and not be
    empty. The regular expression, unanchored at the start, was tried at every position of
    the address: 4.3 s per 1M addresses on one core, against 2.6 s this way (the same
    result for each of the 1M addresses of the 1M-row bench network). -#}
{% macro address_tail(address) -%}
    {%- set city = "split_part(" ~ address ~ ", ', ', -2)" -%}
    {%- set state_zip = "split_part(" ~ address ~ ", ', ', -1)" -%}
    case
        when
            {{ address }} like '%, %, %'
            and {{ city }} <> ''
            and {{ state_zip }} ~ '^[A-Z]{2} [0-9]{5}(-?[0-9]{4})?$'
            then array[{{ city }}, left({{ state_zip }}, 2), substr({{ state_zip }}, 4, 5)]
    end
{%- endmacro %}

{#- A select of (street_part, abbreviated_street) for each distinct street part (the
    address before its first comma, "123 OAK STREET") of `address_column` in `relation`:
    the last word after the house number that the street_suffixes seed knows ('STREET',
    'ST.') replaced by its abbreviation, so "1 COURT STREET APT 4" -> "1 COURT ST APT 4".
    Street parts without a known suffix have no row. -#}
{% macro abbreviate_street_suffixes(relation, address_column) -%}
    select
        street_part,
        array_to_string(
            (string_to_array(street_part, ' '))[1:suffix_position - 1]
            || abbreviation
            || (string_to_array(street_part, ' '))[suffix_position + 1:],
            ' '
        ) as abbreviated_street
    from (
        select distinct on (street_parts.street_part)
            street_parts.street_part,
            words.word_position as suffix_position,
            street_suffixes.abbreviation
        from (
            select distinct split_part({{ address_column }}, ', ', 1) as street_part
            from {{ relation }}
            where {{ address_column }} is not null
        ) as street_parts
        cross join
            lateral
            unnest(string_to_array(street_parts.street_part, ' '))
            with ordinality as words (word, word_position)
        inner join {{ ref('street_suffixes') }} as street_suffixes
            on rtrim(words.word, '.') = street_suffixes.suffix_word
        where words.word_position > 1
        order by street_parts.street_part asc, words.word_position desc
    ) as suffix_words
{%- endmacro %}
