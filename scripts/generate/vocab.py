"""Fixed vocabularies of the synthetic generator.

Everything here is plain, ordered data (tuples, never sets) so that index-based sampling is deterministic.
Canonical codes (channels, countries, event types, ...) are the positions in these tuples.
"""

from __future__ import annotations

from typing import NamedTuple

# ----------------------------------------------------------------------------------------------------------
# People
# ----------------------------------------------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
    "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
    "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
    "Ronald", "Rebecca", "Edward", "Sharon", "Jason", "Laura", "Jeffrey", "Cynthia", "Ryan", "Kathleen",
    "Jacob", "Amy", "Gary", "Angela", "Nicholas", "Shirley", "Eric", "Anna", "Jonathan", "Brenda",
    "Stephen", "Pamela", "Larry", "Emma", "Justin", "Nicole", "Scott", "Helen", "Brandon", "Samantha",
    "Benjamin", "Katherine", "Samuel", "Christine", "Gregory", "Debra", "Alexander", "Rachel", "Frank",
    "Carolyn",
    "Raymond", "Janet", "Patrick", "Catherine", "Jack", "Maria", "Dennis", "Heather", "Jerry", "Diane",
    "Lukas", "Sophie", "Felix", "Hannah", "Jonas", "Lea", "Leon", "Mia", "Noah", "Lina",
    "Arjun", "Priya", "Rahul", "Ananya", "Vikram", "Kavya", "Hiro", "Yuki", "Kenji", "Aiko",
    "Lucas", "Camille", "Hugo", "Chloe", "Mateo", "Lucia", "Pablo", "Sofia", "Liam", "Olivia",
    "Ethan", "Ava", "Mason", "Isabella", "Logan", "Harper", "Elijah", "Evelyn", "Oliver", "Abigail",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker",
    "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards",
    "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan", "Bell", "Murphy", "Bailey",
    "Cooper", "Richardson", "Cox", "Howard", "Ward", "Peterson", "Gray", "James", "Watson", "Brooks",
    "Kelly", "Sanders", "Price", "Bennett", "Wood", "Barnes", "Ross", "Henderson", "Coleman", "Jenkins",
    "Perry", "Powell", "Long", "Patterson", "Hughes", "Flores", "Washington", "Butler", "Simmons", "Foster",
    "Bryant", "Alexander", "Russell", "Griffin", "Hayes", "Myers", "Ford", "Hamilton", "Graham", "Sullivan",
    "Wallace", "Woods", "Cole", "West", "Jordan", "Owens", "Reynolds", "Fisher", "Ellis", "Harrison",
    "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch", "Richter",
    "Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Rao", "Nair", "Mehta",
    "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Ito", "Nakamura", "Kobayashi", "Kato", "Yoshida",
    "Yamamoto",
    "Dubois", "Martin", "Bernard", "Durand", "Moreau", "Laurent", "Silva", "Santos", "Oliveira", "Costa",
    "Jansen", "DeVries", "Bakker", "Visser", "Smit", "Lopez", "Martinez", "Sanchez", "Perez", "Gomez",
)

# (unicode spelling, ASCII fold used for the email local part). O'Brien is ASCII but has an apostrophe.
UNICODE_FIRST: tuple[tuple[str, str], ...] = (
    ("José", "jose"), ("Zoë", "zoe"), ("Łukasz", "lukasz"), ("Ａｌｉｃｅ", "alice"), ("François", "francois"),
    ("Søren", "soren"), ("Björn", "bjorn"), ("Chloé", "chloe"), ("Héctor", "hector"), ("Åsa", "asa"),
    ("Jürgen", "juergen"), ("Çağla", "cagla"), ("Александр", "aleksandr"), ("Mónica", "monica"),
    ("Renée", "renee"), ("Zoltán", "zoltan"), ("Siobhán", "siobhan"), ("Małgorzata", "malgorzata"),
    ("Thảo", "thao"), ("Đức", "duc"), ("太郎", "taro"), ("美咲", "misaki"), ("Ñuño", "nuno"),
    ("Inés", "ines"),
)
UNICODE_LAST: tuple[tuple[str, str], ...] = (
    ("Müller", "mueller"), ("Ørsted", "orsted"), ("Nguyễn", "nguyen"), ("山田", "yamada"),
    ("O'Brien", "obrien"),
    ("García", "garcia"), ("Wójcik", "wojcik"), ("Söderström", "soderstrom"), ("Dvořák", "dvorak"),
    ("Öztürk", "ozturk"), ("Fernández", "fernandez"), ("Lefèvre", "lefevre"), ("D'Angelo", "dangelo"),
    ("Jiménez", "jimenez"), ("佐藤", "sato"), ("Иванов", "ivanov"), ("Ｔａｎａｋａ", "tanaka"),
    ("Trần", "tran"),
    ("Çelik", "celik"), ("Þórsson", "thorsson"), ("Gonçalves", "goncalves"), ("Łukaszewski", "lukaszewski"),
)

PERSONAL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "gmx.de", "qq.com",
)
PERSONAL_DOMAIN_WEIGHTS: tuple[float, ...] = (0.45, 0.12, 0.1, 0.14, 0.08, 0.06, 0.05)
COMPETITOR_DOMAINS: tuple[str, ...] = ("rivalmetrics.com", "leadlytics.io", "funnelforge.com")
COMPETITOR_NAMES: tuple[str, ...] = ("RivalMetrics", "Leadlytics", "FunnelForge")
STUDENT_DOMAINS: tuple[str, ...] = (
    "northfield.edu", "lakeshore.edu", "westbrook.edu", "riverside-state.edu", "hillcrest.edu",
    "eastgate.edu",
)
STUDENT_SCHOOLS: tuple[str, ...] = (
    "Northfield University", "Lakeshore College", "Westbrook University", "Riverside State University",
    "Hillcrest College", "Eastgate University",
)

# Email kinds of a contact.
EMAIL_BUSINESS, EMAIL_PERSONAL, EMAIL_COMPETITOR, EMAIL_STUDENT = 0, 1, 2, 3
EMAIL_KIND_WEIGHTS: tuple[float, ...] = (0.70, 0.255, 0.015, 0.03)

# ----------------------------------------------------------------------------------------------------------
# Job titles: one role per (seniority, function) with many spellings
# ----------------------------------------------------------------------------------------------------------


class Role(NamedTuple):
    """A job role: seniority 0 (student/intern) .. 5 (C-level), function, prevalence, z-slope, spellings."""

    key: str
    seniority: int
    function: str
    weight: float
    beta: float
    spellings: tuple[str, ...]


ROLES: tuple[Role, ...] = (
    Role("ceo", 5, "exec", 0.03, 0.6,
         ("CEO", "Chief Executive Officer", "CEO & Founder", "Co-Founder", "Founder", "Founder & CEO")),
    Role("cmo", 5, "marketing", 0.015, 1.1, ("Chief Marketing Officer", "CMO", "chief marketing officer")),
    Role("cro", 5, "sales", 0.01, 1.0, ("Chief Revenue Officer", "CRO")),
    Role("cfo", 5, "finance", 0.01, 0.1, ("CFO", "Chief Financial Officer")),
    Role("cto", 5, "engineering", 0.01, 0.0, ("CTO", "Chief Technology Officer")),
    Role("vp_marketing", 4, "marketing", 0.04, 1.0,
         ("VP of Marketing", "vp, marketing", "Vice President Marketing", "VP Marketing", "Head of Growth",
          "Head of Marketing", "VP Demand Generation")),
    Role("vp_sales", 4, "sales", 0.03, 0.9,
         ("VP Sales", "VP of Sales", "Vice President, Sales", "Head of Sales")),
    Role("vp_revops", 4, "revenue", 0.015, 1.0,
         ("Head of Revenue Operations", "VP Revenue Operations", "Head of RevOps")),
    Role("dir_marketing", 3, "marketing", 0.06, 0.8,
         ("Marketing Director", "Director of Marketing", "Dir. Demand Generation",
          "Director, Marketing Operations",
          "Director of Growth", "dir. marketing")),
    Role("dir_sales", 3, "sales", 0.04, 0.6,
         ("Sales Director", "Director of Sales", "Director, Sales Development")),
    Role("mgr_marketing", 2, "marketing", 0.12, 0.5,
         ("Marketing Manager", "Sr. Marketing Ops Manager", "Demand Generation Manager",
          "Marketing Operations Manager", "Growth Marketing Manager", "Product Marketing Manager",
          "marketing manager")),
    Role("mgr_sales", 2, "sales", 0.07, 0.3, ("Sales Manager", "SDR Manager", "Account Executive",
                                              "Sales Operations Manager")),
    Role("ic_marketing", 1, "marketing", 0.10, 0.1,
         ("Marketing Specialist", "Marketing Coordinator", "Content Marketer", "Marketing Ops Analyst",
          "Digital Marketing Specialist")),
    Role("ic_sales", 1, "sales", 0.07, -0.1,
         ("Sales Development Rep", "SDR", "BDR", "Business Development Representative", "Sales Rep")),
    Role("engineer", 1, "engineering", 0.08, -0.3,
         ("Software Engineer", "Senior Software Engineer", "Developer", "Data Engineer")),
    Role("it", 2, "it", 0.04, -0.1, ("IT Manager", "IT Director", "Systems Administrator")),
    Role("finance", 1, "finance", 0.04, -0.3,
         ("Finance Analyst", "Accountant", "Controller", "Finance Manager")),
    Role("hr", 1, "hr", 0.04, -0.5,
         ("HR Generalist", "HR Manager", "Recruiter", "Talent Acquisition Specialist")),
    Role("consultant", 1, "other", 0.04, -0.2,
         ("Consultant", "Marketing Consultant", "Freelance Consultant", "Independent Consultant")),
    Role("other", 1, "other", 0.06, -0.1,
         ("Office Manager", "Operations Manager", "Project Manager", "Customer Success Manager",
          "Product Manager")),
    Role("intern", 0, "other", 0.03, -0.8, ("Intern", "Marketing Intern", "Sales Intern")),
    Role("student", 0, "other", 0.0, -1.0, ("Student", "MBA Student", "Graduate Student")),
)
ROLE_INDEX: dict[str, int] = {r.key: i for i, r in enumerate(ROLES)}
# Promotion used for the second version of a contact (same function, one step up).
PROMOTION: dict[str, str] = {
    "ic_marketing": "mgr_marketing", "mgr_marketing": "dir_marketing", "dir_marketing": "vp_marketing",
    "vp_marketing": "cmo", "ic_sales": "mgr_sales", "mgr_sales": "dir_sales", "dir_sales": "vp_sales",
    "vp_sales": "cro", "vp_revops": "cro", "intern": "ic_marketing", "student": "intern", "engineer": "cto",
    "it": "cto", "finance": "cfo", "hr": "other", "consultant": "mgr_marketing", "other": "mgr_marketing",
    "ceo": "ceo", "cmo": "ceo", "cro": "ceo", "cfo": "ceo", "cto": "ceo",
}
FUNCTION_FIT: dict[str, float] = {
    "marketing": 1.0, "sales": 0.8, "revenue": 1.0, "exec": 0.8, "engineering": 0.2, "it": 0.3,
    "finance": 0.3, "hr": 0.0, "other": 0.1,
}
BUDGET_TRUE_P: tuple[float, ...] = (0.02, 0.1, 0.3, 0.55, 0.7, 0.85)  # by seniority 0..5
BUDGET_TRUE: tuple[str, ...] = ("true", "yes", "1")
BUDGET_FALSE: tuple[str, ...] = ("false", "no", "0")

# ----------------------------------------------------------------------------------------------------------
# Geography, companies
# ----------------------------------------------------------------------------------------------------------


class Country(NamedTuple):
    """A country with its raw spellings, share, web TLDs, legal-form suffixes and SDR territory."""

    code: str
    spellings: tuple[str, ...]
    weight: float
    tlds: tuple[str, ...]
    legal: tuple[str, ...]
    territory: str  # "NA" or "EMEA" (rest of world is worked by SDR EMEA)
    core: bool


COUNTRIES: tuple[Country, ...] = (
    Country("US", ("United States", "USA", "US", "U.S.", "united states of america"), 0.42,
            (".com", ".io", ".ai", ".co"), ("", " Inc.", " LLC", " Corp."), "NA", True),
    Country("DE", ("Germany", "Deutschland", "DE"), 0.10, (".de", ".com"), (" GmbH", " AG", ""), "EMEA",
            True),
    Country("GB", ("United Kingdom", "UK", "GB", "Great Britain"), 0.10, (".co.uk", ".com"),
            (" Ltd", " plc", ""),
            "EMEA", True),
    Country("FR", ("France", "FR"), 0.05, (".fr", ".com"), (" SAS", " SA", ""), "EMEA", False),
    Country("CA", ("Canada", "CA"), 0.06, (".ca", ".com"), (" Inc.", ""), "NA", True),
    Country("BR", ("Brazil", "Brasil"), 0.04, (".com.br",), (" Ltda.", ""), "NA", False),
    Country("IN", ("India", "IN"), 0.06, (".in", ".com"), (" Pvt Ltd", ""), "EMEA", False),
    Country("AU", ("Australia", "AU"), 0.05, (".com.au",), (" Pty Ltd", ""), "EMEA", True),
    Country("NL", ("Netherlands", "NL"), 0.04, (".nl",), (" B.V.", ""), "EMEA", True),
    Country("ES", ("Spain", "ES"), 0.04, (".es",), (" S.L.", ""), "EMEA", False),
    Country("JP", ("Japan", "JP"), 0.04, (".jp", ".co.jp"), (" K.K.", ""), "EMEA", False),
)

COMPANY_PREFIXES: tuple[str, ...] = (
    "Bright", "Blue", "Swift", "Clear", "Green", "Silver", "Red", "North", "True", "Prime",
    "Nova", "Apex", "Bold", "Cloud", "Core", "Deep", "Echo", "Fair", "First", "Golden",
    "Happy", "Iron", "Jet", "Keen", "Lumen", "Metro", "Next", "Open", "Peak", "Quant",
    "Rapid", "Sky", "Smart", "Solid", "Star", "Summit", "Terra", "Ultra", "Vast", "Vivid",
    "West", "Wise", "Zen", "Alpha", "Arc", "Atlas", "Beacon", "Cedar", "Crest", "Delta",
    "Ever", "Flux", "Grand", "Harbor", "Indigo", "Juniper", "Kite", "Lake", "Maple", "Oak",
)
COMPANY_MIDS: tuple[str, ...] = (
    "", "stone", "wave", "field", "bridge", "point", "path", "line", "spring", "light",
    "view", "gate", "ridge", "rock", "wind", "fire", "sun", "moon", "star", "river",
    "peak", "brook", "hill", "vale", "wood", "glen", "shore", "crest", "haven", "mark",
)
COMPANY_SUFFIXES: tuple[str, ...] = (
    "logix", "soft", "ware", "labs", "works", "ly", "ify", "hub", "stack", "base",
    "sys", "tech", "data", "metrics", "scale", "sync", "flow", "grid", "net", "ops",
    "io", "nova", "sphere", "verse", "bit", "byte", "cast", "craft", "dyne", "forge",
    "gen", "kit", "link", "loop", "mind", "nest", "pilot", "pulse", "quest", "rise",
    "run", "shift", "signal", "spark", "tide", "trail", "vault", "vista", "wire", "yard",
    "able", "ant", "ara", "ex", "ia", "ico", "ion", "ium", "ora", "os",
)
COMPANY_WORDS: tuple[str, ...] = (  # index 0 = no word; the others are used by the longer name tiers
    "", " Labs", " Systems", " Group", " Health", " Analytics", " Digital", " Solutions",
    " Partners", " Networks", " Cloud", " Data", " AI",
)


class Industry(NamedTuple):
    """An industry: canonical name, share and fit contribution."""

    name: str
    weight: float
    fit: float


INDUSTRIES: tuple[Industry, ...] = (
    Industry("Software", 0.24, 0.5), Industry("Financial Services", 0.12, 0.3),
    Industry("Healthcare", 0.10, 0.1),
    Industry("Manufacturing", 0.11, 0.0), Industry("Retail", 0.09, 0.1), Industry("Education", 0.06, -0.3),
    Industry("Government", 0.04, -0.4), Industry("Media", 0.07, 0.2), Industry("Consulting", 0.11, 0.2),
    Industry("Nonprofit", 0.06, -0.5),
)

# ----------------------------------------------------------------------------------------------------------
# Marketing channels, campaigns, assets
# ----------------------------------------------------------------------------------------------------------

CHANNELS: tuple[str, ...] = (
    "paid_search", "paid_social", "organic_search", "email", "webinar", "events", "referral", "direct",
    "partner", "content_syndication",
)
(CH_PAID_SEARCH, CH_PAID_SOCIAL, CH_ORGANIC, CH_EMAIL, CH_WEBINAR, CH_EVENTS, CH_REFERRAL, CH_DIRECT,
 CH_PARTNER, CH_SYNDICATION) = range(10)
CHANNEL_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("Paid Search", "google ads", "PPC"),
    ("Paid Social", "linkedin ads", "facebook ads"),
    ("Organic Search", "SEO"),
    ("Email", "email marketing"),
    ("Webinar",),
    ("Trade Show", "Event"),
    ("Referral",),
    ("Direct",),
    ("Partner",),
    ("Content Syndication",),
)
# Lead-source mix (share, slope on z) of new contacts.
LEAD_SOURCE_MIX: tuple[tuple[float, float], ...] = (
    (0.18, 0.0), (0.12, -0.2), (0.22, 0.0), (0.05, 0.0), (0.08, 0.3), (0.06, 0.2), (0.05, 0.4), (0.12, 0.0),
    (0.04, 0.2), (0.08, -0.3),
)
PAID_CHANNELS: tuple[int, ...] = (CH_PAID_SEARCH, CH_PAID_SOCIAL, CH_SYNDICATION, CH_EVENTS, CH_WEBINAR)

WEBINAR_TITLES: tuple[str, ...] = (
    "Lead Scoring 101", "From MQL to Pipeline", "Building a Scoring Model in dbt",
    "Attribution Without Tears",
    "Intent Signals That Matter", "RevOps Roundtable", "Scoring Product-Led Leads",
    "Marketing Metrics Your CFO Cares About", "Fixing Your Funnel Data",
    "Sales and Marketing Alignment in Practice",
)
SEARCH_THEMES: tuple[str, ...] = (
    "Lead Scoring", "Marketing Attribution", "Competitor Terms", "Funnel Analytics",
)
SOCIAL_THEMES: tuple[str, ...] = ("ABM Enterprise", "Demand Gen Leaders", "RevOps Audience", "Lookalike")
EMAIL_THEMES: tuple[str, ...] = ("Product Update", "Customer Stories", "Quarterly Insights", "Feature Launch")
TRADE_SHOWS: tuple[str, ...] = (
    "SaaStr Annual", "B2B Marketing Expo", "MarTech Summit", "Dreamforce", "INBOUND",
)
SYNDICATION_PARTNERS: tuple[str, ...] = ("TechTarget", "Integrate", "NetLine", "Madison Logic")

ASSETS: tuple[tuple[str, str], ...] = (
    ("The State of Lead Scoring Report", "blog/state-of-lead-scoring"),
    ("MQL to SQL Conversion Benchmark", "blog/mql-sql-benchmark"),
    ("B2B Attribution Playbook", "blog/attribution-playbook"),
    ("Lead Scoring ROI Calculator", "blog/roi-calculator"),
    ("Marketing Ops Maturity Checklist", "blog/marketing-ops-checklist"),
    ("Intent Data Buyer's Guide", "blog/intent-data-guide"),
    ("Revenue Operations Handbook", "blog/revops-handbook"),
    ("Customer Story: Brightlogix", "customers/brightlogix-case-study"),
)
FORMS: tuple[tuple[str, str], ...] = (
    ("Contact Us", "contact"),
    ("Newsletter Signup Form", "blog"),
    ("Gated Content Form", "blog/lead-scoring-guide"),
    ("Free Trial Form", "pricing"),
    ("Event Registration", "about/events"),
    ("Request a Quote", "pricing/enterprise"),
    ("Partner Inquiry", "partners/become-a-partner"),
)
FORM_WEIGHTS: tuple[float, ...] = (0.25, 0.15, 0.3, 0.08, 0.1, 0.05, 0.07)

# ----------------------------------------------------------------------------------------------------------
# Web site
# ----------------------------------------------------------------------------------------------------------

SITE = "https://www.acmeflow.io/"


class Segment(NamedTuple):
    """First URL path segment, share of page views at z = 0, slope on z and the slugs below it."""

    name: str
    weight: float
    beta: float
    slugs: tuple[str, ...]


SEGMENTS: tuple[Segment, ...] = (
    Segment("", 0.12, 0.0, ("",)),
    Segment("pricing", 0.002, 1.3, ("", "enterprise", "compare", "faq")),
    Segment("product", 0.0025, 0.9, ("", "lead-scoring", "attribution", "analytics", "workflows")),
    Segment("features", 0.05, 0.5, ("", "scoring-models", "crm-sync", "alerts", "reporting")),
    Segment("integrations", 0.04, 0.4, ("", "salesforce", "hubspot", "marketo", "slack", "snowflake")),
    Segment("security", 0.015, 0.5, ("", "soc2", "gdpr", "trust-center")),
    Segment("customers", 0.0015, 0.9, ("", "case-studies", "brightlogix-case-study", "roi-stories")),
    Segment("docs", 0.06, 0.0, ("", "getting-started", "api", "sso-setup", "webhooks", "changelog")),
    Segment("blog", 0.40, -0.4, ("", "what-is-an-mql", "lead-scoring-guide", "mql-vs-sql",
                                 "b2b-attribution-101",
                                 "marketing-ops-checklist", "intent-data-explained", "funnel-metrics")),
    Segment("careers", 0.06, -1.0, ("", "open-roles", "engineering", "life-at-acmeflow")),
    Segment("about", 0.05, -0.2, ("", "team", "press", "events")),
    Segment("contact", 0.006, 0.6, ("", "sales")),
    Segment("demo", 0.004, 1.0, ("", "book")),
    Segment("partners", 0.02, 0.0, ("", "become-a-partner", "directory")),
)
HIGH_INTENT_SEGMENTS: tuple[str, ...] = ("pricing", "product", "customers")
HELP_SLUGS: tuple[str, ...] = (
    "getting-started", "reset-password", "billing", "sso", "integrations/salesforce", "api-limits",
    "scoring-rules",
)
# Case variants of the first segment: lower, Capitalised, UPPER.
CASE_WEIGHTS: tuple[float, ...] = (0.92, 0.06, 0.02)
GENERIC_QUERIES: tuple[str, ...] = (
    "", "?utm_source=google&utm_medium=organic", "?utm_source=newsletter&utm_medium=email", "?ref=g2",
    "?utm_source=linkedin&utm_medium=social", "?gclid=Cj0KCQjw",
)
GENERIC_QUERY_WEIGHTS: tuple[float, ...] = (0.86, 0.04, 0.03, 0.02, 0.03, 0.02)

# ----------------------------------------------------------------------------------------------------------
# Events
# ----------------------------------------------------------------------------------------------------------

EVENT_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("page_view", ("Page View", "pageview", "Visit Web Page", "web.page_view")),
    ("email_sent", ("Email Sent", "email_send", "Send Email")),
    ("email_open", ("Email Open", "email_open", "Open Email", "EmailOpened")),
    ("email_click", ("Email Click", "email_click", "Click Email", "EmailClicked")),
    ("email_hard_bounce", ("Email Bounced", "hard_bounce", "Email Hard Bounce")),
    ("email_unsubscribe", ("Unsubscribe", "email_unsubscribe", "Unsubscribed")),
    ("email_spam_complaint", ("Spam Complaint", "email_spam_report")),
    ("form_submit", ("Form Submit", "Filled Out Form", "form_submission")),
    ("content_download", ("Content Download", "Downloaded Asset", "download")),
    ("webinar_registered", ("Webinar Registered", "webinar_registration", "Registered for Webinar")),
    ("webinar_attended", ("Webinar Attended", "webinar_attendance", "Attended Webinar")),
    ("demo_request", ("Demo Request", "Requested Demo", "demo_request")),
    ("contact_sales", ("Contact Sales", "contact_us_sales")),
    ("trial_signup", ("Trial Signup", "Free Trial Started", "trial_start")),
    ("newsletter_signup", ("Newsletter Signup", "newsletter_subscribe")),
    ("help_center_visit", ("Help Center Visit", "support_article_view")),
    ("chat_started", ("Chat Started", "live_chat", "Chatbot Conversation")),
    ("ad_click", ("Ad Click", "ad_click", "Clicked Ad")),
    ("product_usage", ("Product Usage", "product_session", "App Login")),
)
EVENT_CODE: dict[str, int] = {name: i for i, (name, _) in enumerate(EVENT_TYPES)}
# Canonical types whose events count towards the vendor's high-intent threshold (besides
# pricing/product/customers
# page views).
HIGH_INTENT_TYPES: tuple[str, ...] = (
    "webinar_attended", "demo_request", "contact_sales", "trial_signup", "content_download",
)
HAND_RAISER_TYPES: tuple[str, ...] = ("demo_request", "contact_sales")

# ----------------------------------------------------------------------------------------------------------
# CRM
# ----------------------------------------------------------------------------------------------------------

TEAMS: tuple[str, ...] = ("SDR East", "SDR West", "SDR EMEA", "AE Enterprise", "AE Mid-Market")
TEAM_REGIONS: tuple[tuple[str, ...], ...] = (("NA East",), ("NA West",), ("EMEA",), ("NA", "EMEA"),
                                             ("NA", "EMEA", "APAC"))
TEAM_WEIGHTS: tuple[float, ...] = (0.22, 0.2, 0.2, 0.18, 0.2)

STAGE_MQL, STAGE_SAL, STAGE_SQL, STAGE_RECYCLED, STAGE_DQ = range(5)
STAGE_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("Marketing Qualified", "MQL"),
    ("Sales Accepted", "SAL"),
    ("Sales Qualified", "SQL"),
    ("Recycled",),
    ("Disqualified", "Unqualified"),
)
STAGE_SPELLING_WEIGHTS: tuple[tuple[float, ...], ...] = ((0.85, 0.15), (0.85, 0.15), (0.85, 0.15), (1.0,),
                                                         (0.7, 0.3))
MQL_REASONS: tuple[str, ...] = ("Hand raiser", "Engagement threshold reached")
RECYCLE_REASONS: tuple[str, ...] = (
    "No response", "Not ready - timing", "Nurture - revisit next quarter", "Unresponsive after 3 attempts",
)
DQ_REASONS: tuple[str, ...] = (
    "No budget", "Not a fit - company too small", "Wrong contact / no authority", "Existing customer",
    "Bad data",
    "No project",
)
DQ_REASON_COMPETITOR = "Competitor"
DQ_REASON_STUDENT = "Student"

OPP_OPEN_STAGES: tuple[str, ...] = ("Prospecting", "Discovery", "Proposal", "Negotiation")
OPP_WON, OPP_LOST = "Closed Won", "Closed Lost"
OPP_NAME_SUFFIXES: tuple[str, ...] = (" - New Business", " - Platform", " - Pilot", " - Annual Subscription")

ACTIVITY_CALL: tuple[str, ...] = ("Call", "call", "Phone Call")
ACTIVITY_EMAIL: tuple[str, ...] = ("Email", "Outbound Email")
ACTIVITY_MEETING: tuple[str, ...] = ("Meeting", "Demo Meeting")

# ----------------------------------------------------------------------------------------------------------
# Messy values
# ----------------------------------------------------------------------------------------------------------

BAD_IDS: tuple[str | None, ...] = (None, "", "  ", "N/A", "#REF!", "null")
UNKNOWN_EVENT_TYPES: tuple[str, ...] = (
    "page_vieww", "Custom Event 42", "xyz", "Webinar Attended!", "email_opened_v2", "test_event",
    "Clicked Banner",
    "unknown",
)
INVALID_TIMESTAMPS: tuple[str | None, ...] = (
    "31/02/2025", "yesterday", "2025-13-45 10:00:00", "", None, "2025-02-30 10:00:00", "not a timestamp",
)
# Offsets (seconds, suffix) used for mixed-timezone event timestamps.
TZ_OFFSETS: tuple[tuple[int, str], ...] = ((7200, "+02:00"), (-18000, "-05:00"), (19800, "+05:30"), (0, "Z"))
