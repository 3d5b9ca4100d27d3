"""The words and pictures of the demo council. Data only; seed_demo builds it."""

DEPARTMENTS = [
    ("Waste and Recycling", "Bin collections, recycling centres and fly-tipping."),
    ("Highways and Transport", "Roads, pavements, parking and buses."),
    ("Libraries and Culture", "Libraries, museums, archives and arts."),
    ("Adult Social Care", "Care and support for adults and carers."),
    ("Planning and Housing", "Planning applications, the local plan and housing."),
    ("Environment and Climate", "Parks, trees, flooding and net zero."),
]

POLICIES = [
    {
        "title": "Household Waste Collection Policy",
        "department": "Waste and Recycling",
        "summary": "How and when we collect household bins, what goes in each bin, "
        "and what happens when a collection is missed.",
        "status": "adopted",
        "featured": True,
        "paragraphs": [
            "We collect general waste fortnightly and recycling weekly from every "
            "household in the county.",
            "Put your bins out by 7am on your collection day, with the lid closed.",
        ],
    },
    {
        "title": "Climate Emergency Action Plan 2025 to 2030",
        "department": "Environment and Climate",
        "summary": "Our plan to make the council's own operations net zero by 2030 "
        "and to support residents and businesses to cut emissions.",
        "status": "adopted",
        "featured": True,
        "paragraphs": [
            "The council declared a climate emergency in 2019.",
            "This plan sets out 42 actions across buildings, transport and energy.",
        ],
    },
    {
        "title": "Highway Winter Service Plan",
        "department": "Highways and Transport",
        "summary": "Which roads we grit, when we grit them and how to find your "
        "nearest grit bin.",
        "status": "under_review",
        "featured": True,
        "paragraphs": [
            "We treat 1,200 miles of priority roads when ice or snow is forecast.",
            "Priority routes include A and B roads, bus routes and roads to "
            "hospitals.",
        ],
    },
    {
        "title": "Library Service Strategy",
        "department": "Libraries and Culture",
        "summary": "Our ten-year strategy for libraries as community hubs: opening "
        "hours, digital services and mobile libraries.",
        "status": "consultation",
        "featured": False,
        "paragraphs": [
            "Libraries remain free to join and free to borrow books.",
            "Tell us what you think of the strategy before the consultation closes.",
        ],
    },
    {
        "title": "Adult Social Care Charging Policy",
        "department": "Adult Social Care",
        "summary": "How we work out what you pay towards the cost of your care and "
        "support, and how to ask for a review.",
        "status": "adopted",
        "featured": False,
        "paragraphs": [
            "Most people pay something towards their care. We follow the Care Act "
            "2014 and national guidance.",
            "You can ask for a financial assessment at any time.",
        ],
    },
    {
        "title": "Statement of Community Involvement",
        "department": "Planning and Housing",
        "summary": "How residents can take part in planning decisions, from the "
        "local plan to individual planning applications.",
        "status": "adopted",
        "featured": True,
        "paragraphs": [
            "We publish every planning application online and consult neighbours.",
            "Anyone can comment on an application within 21 days.",
        ],
    },
    {
        "title": "Tree and Woodland Strategy",
        "department": "Environment and Climate",
        "summary": "How we care for the 80,000 trees on council land and plan to "
        "plant 100,000 more by 2035.",
        "status": "adopted",
        "featured": False,
        "paragraphs": [
            "Trees on council land are inspected every three years.",
            "Report a dangerous tree on council land at any time.",
        ],
    },
]

ANNOUNCEMENTS = [
    {
        "title": "Christmas and New Year bin collection changes",
        "department": "Waste and Recycling",
        "summary": "Collections move by up to two days over the holidays. Check your "
        "new collection day before you put your bins out.",
        "image": ("Bins ready for collection", "#00703c"),
        "urgent": False,
    },
    {
        "title": "A38 resurfacing: overnight closures from Monday",
        "department": "Highways and Transport",
        "summary": "The A38 between Castle Street and Mill Lane will close from 8pm "
        "to 6am for two weeks while we resurface the road.",
        "image": ("Resurfacing crew at work at night", "#f47738"),
        "urgent": True,
    },
    {
        "title": "Central Library reopens after refurbishment",
        "department": "Libraries and Culture",
        "summary": "Central Library reopens on Saturday with a new children's area, "
        "free computers and longer opening hours.",
        "image": ("The bright new children's area at Central Library", "#1d70b8"),
        "urgent": False,
    },
    {
        "title": "Have your say on the Library Service Strategy",
        "department": "Libraries and Culture",
        "summary": "Our consultation on the future of libraries is open until the "
        "end of next month. Tell us what matters to you.",
        "image": None,
        "urgent": False,
    },
    {
        "title": "Gritting teams ready for winter",
        "department": "Highways and Transport",
        "summary": "Our 30 gritters and 12,000 tonnes of salt are ready to keep "
        "priority roads open this winter.",
        "image": ("A council gritter loaded with salt", "#505a5f"),
        "urgent": False,
    },
    {
        "title": "Flood warning: River Exe at Riverside Park",
        "department": "Environment and Climate",
        "summary": "The Environment Agency has issued a flood warning. Riverside Park "
        "car park is closed. Sandbags are available at the depot.",
        "image": None,
        "urgent": True,
    },
    {
        "title": "Free carers' support sessions this spring",
        "department": "Adult Social Care",
        "summary": "Unpaid carers can book free sessions on wellbeing, money advice "
        "and planning for emergencies.",
        "image": None,
        "urgent": False,
    },
    {
        "title": "Local Plan examination hearings announced",
        "department": "Planning and Housing",
        "summary": "The independent inspector will hold public hearings on the Local "
        "Plan at County Hall. Anyone can attend.",
        "image": None,
        "urgent": False,
    },
    {
        "title": "10,000 trees planted in the county's parks",
        "department": "Environment and Climate",
        "summary": "Volunteers and council teams have planted 10,000 trees this "
        "season, a tenth of our 2035 target.",
        "image": ("Volunteers planting saplings in a park", "#4c2c92"),
        "urgent": False,
    },
    {
        "title": "Garden waste subscriptions open",
        "department": "Waste and Recycling",
        "summary": "Subscribe to garden waste collections for the year ahead. "
        "Collections restart in March.",
        "image": None,
        "urgent": False,
    },
    {
        "title": "New electric buses for the Park and Ride",
        "department": "Highways and Transport",
        "summary": "Twelve new electric buses start service on the Park and Ride "
        "routes next week, cutting emissions and noise.",
        "image": ("A new electric Park and Ride bus", "#28a197"),
        "urgent": False,
    },
]

#: An announcement scheduled to go live a few days after seeding (``days``
#: ahead, at ``hour`` o'clock): the content calendar shows what is coming.
SCHEDULED_ANNOUNCEMENT = {
    "title": "Winter opening hours at the libraries",
    "department": "Libraries and Culture",
    "summary": "From next week, libraries open from 10am to 4pm on weekdays and "
    "close on Sundays until March.",
    "days": 3,
    "hour": 9,
}
