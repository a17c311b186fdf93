{#- dim_leads.conversion_probability is a probability (within [0, 1]) that never falls as total_score rises (one
    logistic curve with a positive slope), and it has a band exactly when it is set. Returns the offending leads:
    out of range, banded without a probability (or the reverse), or scored higher than a lead with a larger
    probability. Passes trivially while the score_probability seed is empty (every probability null). -#}

with

leads as (
    select
        contact_id,
        total_score,
        conversion_probability,
        conversion_probability_band
    from {{ ref('dim_leads') }}
),

-- leads in score order, ties by probability: a lower probability after a higher one means a higher score got less
ordered_leads as (
    select
        contact_id,
        total_score,
        conversion_probability,
        lag(conversion_probability) over (
            order by total_score, conversion_probability, contact_id
        ) as previous_probability
    from leads
    where conversion_probability is not null
)

select
    leads.contact_id,
    leads.total_score,
    leads.conversion_probability,
    leads.conversion_probability_band,
    ordered_leads.previous_probability
from leads
left join ordered_leads
    on leads.contact_id = ordered_leads.contact_id
where
    leads.conversion_probability < 0
    or leads.conversion_probability > 1
    or (leads.conversion_probability is null) <> (leads.conversion_probability_band is null)
    or ordered_leads.conversion_probability < ordered_leads.previous_probability
