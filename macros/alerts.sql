{#- Whether an alert's figure crosses a threshold, by the alert_thresholds seed's
    direction: 'above' (figure >= threshold), 'below' (figure < threshold) or 'beyond'
    (|figure| >= threshold, for figures that are wrong either way, such as clock skew). -#}
{% macro alert_crosses(figure, direction, threshold) -%}
    case {{ direction }}
        when 'above' then {{ figure }} >= {{ threshold }}
        when 'below' then {{ figure }} < {{ threshold }}
        when 'beyond' then abs({{ figure }}) >= {{ threshold }}
    end
{%- endmacro %}
