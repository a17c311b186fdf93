{#- One row per campaign (its latest version): the name and channel BI shows next to the campaign ids of the funnel
    and attribution marts. -#}

with

campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
)

select
    campaign_id,
    campaign_name,
    channel,
    start_date,
    end_date
from campaigns
