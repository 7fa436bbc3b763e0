"""Vocabularies and text templates of the synthetic demo clinic.

Everything here is invented. Templates are expanded once, in plain Python, into flat tables of
*variants*; the generator then picks variants per row with numpy indexing, so no Python code runs
per client or per session. Texts avoid commas and quotes so the CSV files need no quoting.
"""

from __future__ import annotations

from dataclasses import dataclass

from therapy_outcomes.loading.tables import GOAL_CATEGORIES

SITES = ("Northgate", "Riverside", "Hillcrest", "Eastfield")
SITE_WEIGHTS = (0.34, 0.26, 0.22, 0.18)
#: The outcome measure each site uses besides PHQ-9, GAD-7 and SRS.
SITE_OUTCOME = ("CORE-10", "ORS", "CORE-10", "ORS")

PROBLEMS = (
    "depression",
    "generalised anxiety",
    "mixed anxiety and depression",
    "panic",
    "social anxiety",
    "PTSD",
    "OCD",
    "health anxiety",
)
PROBLEM_WEIGHTS = (0.30, 0.20, 0.19, 0.08, 0.07, 0.07, 0.05, 0.04)
#: Per problem: shift of the PHQ-9 (depression) and GAD-7 (anxiety) propensity.
PROBLEM_DEP_SHIFT = (0.06, -0.08, 0.02, -0.08, -0.06, 0.0, -0.06, -0.08)
PROBLEM_ANX_SHIFT = (-0.07, 0.06, 0.02, 0.07, 0.05, 0.04, 0.04, 0.05)

MODALITIES = ("CBT", "counselling", "IPT", "behavioural activation", "guided self-help", "EMDR")
#: Planned number of sessions (mean) per modality.
MODALITY_SESSIONS = (10.0, 8.0, 12.0, 8.0, 6.0, 9.0)
#: Rows: problems; columns: modalities.
MODALITY_BY_PROBLEM = (
    (0.40, 0.20, 0.12, 0.18, 0.10, 0.00),
    (0.60, 0.10, 0.00, 0.00, 0.30, 0.00),
    (0.50, 0.20, 0.05, 0.10, 0.15, 0.00),
    (0.80, 0.05, 0.00, 0.00, 0.15, 0.00),
    (0.85, 0.10, 0.00, 0.00, 0.05, 0.00),
    (0.45, 0.10, 0.00, 0.00, 0.00, 0.45),
    (0.90, 0.05, 0.00, 0.00, 0.05, 0.00),
    (0.80, 0.10, 0.00, 0.00, 0.10, 0.00),
)

SEXES = ("female", "male", "other", "unknown")
SEX_WEIGHTS = (0.62, 0.35, 0.01, 0.02)

END_REASONS = ("completed", "dropped_out", "referred_on", "other")
KINDS = ("assessment", "treatment", "review", "follow_up")
ATTENDANCE = ("attended", "cancelled", "did_not_attend")
RATERS = ("client", "therapist", "joint")

CATEGORIES = GOAL_CATEGORIES  # the data dictionary's own list (tables.py)
CATEGORY_WEIGHTS = (0.18, 0.17, 0.11, 0.15, 0.15, 0.09, 0.15)
HORIZONS = ("short_term", "long_term")
GOAL_STATUSES = ("active", "achieved", "revised", "discontinued")
HOMEWORK_STATUSES = ("assigned", "completed", "partial", "not_done")
EVENT_KINDS = ("life_event", "medication_change", "physical_health", "other")
EVENT_KIND_WEIGHTS = (0.50, 0.30, 0.14, 0.06)
IMPACTS = ("positive", "negative", "neutral")

VALUES = (
    "independence",
    "family",
    "being a good parent",
    "health",
    "friendship",
    "honesty",
    "learning",
    "creativity",
    "faith",
    "kindness",
    "security",
    "adventure",
    "being useful at work",
    "looking after animals",
)
STRENGTHS = (
    "determined",
    "good sense of humour",
    "supportive partner",
    "reflective",
    "kind to others",
    "organised",
    "loves animals",
    "sporty",
    "creative",
    "has come through hard times before",
    "loyal friend",
    "curious",
    "practical",
)


@dataclass(frozen=True)
class GoalVariant:
    """One concrete goal statement with its measure and scale."""

    statement: str
    category: str
    horizon: str
    vague: bool
    measure: str
    unit: str | None = None
    baseline: tuple[int, int] = (0, 0)
    target: tuple[int, int] = (0, 0)
    template: str = ""  # variants of one template share it; templates are drawn first


def _counts(
    category: str,
    horizon: str,
    statement: str,
    unit: str,
    baseline: tuple[int, int],
    ks: tuple[int, ...],
    **fill: tuple[object, ...],
) -> list[GoalVariant]:
    """Expand a count template over its target ``k`` (and any other fill-ins)."""
    out = []
    extra: list[dict[str, object]] = [{}]
    for key, options in fill.items():
        extra = [{**e, key: o} for e in extra for o in options]
    for k in ks:
        for e in extra:
            out.append(
                GoalVariant(
                    statement.format(k=k, **e),
                    category,
                    horizon,
                    False,
                    "count",
                    unit.format(k=k, **e),
                    baseline,
                    (k, k),
                    statement,
                )
            )
    return out


def _rated(
    category: str, horizon: str, measure: str, vague: bool, *texts: str
) -> list[GoalVariant]:
    """GAS or GBO goals: GAS from -2/-1 to 0, GBO from 1-4 to 7-9."""
    if measure == "GAS":
        scale = ((-2, -1), (0, 0))
    else:
        scale = ((1, 4), (7, 9))
    return [GoalVariant(t, category, horizon, vague, measure, None, *scale, t) for t in texts]


L, S = "long_term", "short_term"

GOAL_VARIANTS: tuple[GoalVariant, ...] = tuple(
    # emotional
    _rated(
        "emotional",
        L,
        "GBO",
        True,
        "Feel happier",
        "Feel more like myself again",
        "Not feel so low all the time",
    )
    + _rated(
        "emotional",
        L,
        "GBO",
        False,
        "Enjoy weekends with my family without dreading Monday",
        "Feel calm enough to go to my sister's wedding in the summer",
    )
    + _counts(
        "emotional",
        L,
        "Do something I enjoy on {k} days a week",
        "days with an enjoyable activity per week",
        (0, 1),
        (3, 4, 5),
    )
    + _rated("emotional", S, "GBO", True, "Try to be more positive")
    + _counts(
        "emotional",
        S,
        "Write down three good things on {k} evenings a week",
        "evenings with a three good things entry per week",
        (0, 0),
        (4, 5, 7),
    )
    + _counts(
        "emotional",
        S,
        "Rate my mood in my diary every evening",
        "mood diary entries per week",
        (0, 1),
        (7,),
    )
    # behavioural
    + _rated("behavioural", L, "GBO", True, "Get my life back", "Be more active")
    + _counts(
        "behavioural",
        L,
        "Walk to the {place} on my own {k} times a week",
        "walks to the {place} per week",
        (0, 0),
        (2, 3),
        place=("shop", "park"),
    )
    + _counts(
        "behavioural", L, "Go to the gym {k} times a week", "gym sessions per week", (0, 1), (2, 3)
    )
    + _counts(
        "behavioural", L, "Go back to work {k} days a week", "days at work per week", (0, 0), (3, 5)
    )
    + _rated(
        "behavioural",
        L,
        "GAS",
        False,
        "Take the bus into town on my own",
        "Do the weekly food shop at the supermarket myself",
    )
    + _counts(
        "behavioural",
        S,
        "Get up by {h} am on weekdays",
        "weekdays up by {h} am",
        (0, 2),
        (5,),
        h=(8, 9),
    )
    + _counts(
        "behavioural",
        S,
        "Go for a {m}-minute walk {k} times a week",
        "walks per week",
        (0, 1),
        (2, 3, 4),
        m=(10, 20, 30),
    )
    + _counts(
        "behavioural",
        S,
        "Cook a proper meal {k} evenings a week",
        "home-cooked meals per week",
        (0, 1),
        (3, 4),
    )
    + _rated("behavioural", S, "GAS", False, "Ring the GP surgery myself to book a review")
    # cognitive
    + _rated("cognitive", L, "GBO", True, "Stop overthinking everything", "Think more positively")
    + _rated(
        "cognitive",
        L,
        "GBO",
        False,
        "Believe the thought that I am a failure less than 30 percent of the time",
        "Notice self-critical thoughts and answer them back",
    )
    + _counts(
        "cognitive",
        L,
        "Keep my worrying to a {m}-minute worry time on {k} days a week",
        "days keeping to worry time per week",
        (0, 0),
        (4, 5),
        m=(15, 20),
    )
    + _counts(
        "cognitive",
        S,
        "Fill in {k} thought records a week",
        "thought records per week",
        (0, 0),
        (2, 3),
    )
    + _rated(
        "cognitive",
        S,
        "GAS",
        False,
        "Test out whether people laugh at me if I speak in the team meeting",
    )
    # relationships
    + _rated("relationships", L, "GBO", True, "Be a better parent", "Get on better with my family")
    + _counts(
        "relationships",
        L,
        "Spend {k} evenings a week with friends",
        "evenings with friends per week",
        (0, 0),
        (1, 2),
    )
    + _rated(
        "relationships",
        L,
        "GAS",
        False,
        "Have one calm conversation with my teenager each week",
        "Tell my manager what I need to manage my workload",
    )
    + _counts(
        "relationships",
        S,
        "Text or call a friend {k} times a week",
        "contacts with friends per week",
        (0, 1),
        (2, 3),
    )
    + _rated("relationships", S, "GAS", False, "Tell my partner how I feel about the arguments")
    # coping
    + _rated("coping", L, "GBO", True, "Cope better with stress", "Handle things better")
    + _counts(
        "coping",
        L,
        "Practise relaxation for {m} minutes on {k} days a week",
        "days with relaxation practice per week",
        (0, 1),
        (4, 5),
        m=(10, 15),
    )
    + _rated(
        "coping",
        L,
        "GAS",
        False,
        "Use slow breathing when panic starts instead of leaving the shop",
    )
    + _counts(
        "coping",
        S,
        "Use the grounding exercise when overwhelmed at least {k} times a week",
        "grounding exercises per week",
        (0, 0),
        (2, 3),
    )
    + _rated("coping", S, "GAS", False, "Make a written plan for the next difficult day at work")
    # personal_growth
    + _rated("personal_growth", L, "GBO", True, "Find out who I really am", "Feel more confident")
    + _rated(
        "personal_growth",
        L,
        "GAS",
        False,
        "Enrol on an evening course this year",
        "Apply for the team leader post",
    )
    + _counts(
        "personal_growth",
        L,
        "Volunteer at the community garden {k} mornings a week",
        "volunteering mornings per week",
        (0, 0),
        (1, 2),
    )
    + _rated(
        "personal_growth",
        S,
        "GAS",
        False,
        "Look up three local courses and pick one",
        "Write down what matters most to me in life",
    )
    # symptoms
    + _rated("symptoms", L, "GBO", True, "Stop feeling anxious", "Sleep better")
    + [
        GoalVariant(
            "Bring my PHQ-9 score below 10",
            "symptoms",
            L,
            False,
            "PHQ-9",
            None,
            (0, 0),
            (9, 9),
            "PHQ-9",
        ),
        GoalVariant(
            "Get my GAD-7 score below 8",
            "symptoms",
            L,
            False,
            "GAD-7",
            None,
            (0, 0),
            (7, 7),
            "GAD-7",
        ),
    ]
    + _counts(
        "symptoms",
        L,
        "Have no more than {k} panic attacks a week",
        "panic attacks per week",
        (3, 7),
        (0, 1),
    )
    + _counts(
        "symptoms",
        L,
        "Sleep at least 6 hours on {k} nights a week",
        "nights with 6 or more hours sleep per week",
        (0, 2),
        (4, 5),
    )
    + _rated("symptoms", S, "GBO", True, "Feel less tense")
    + _counts(
        "symptoms",
        S,
        "Be in bed by {h} pm on weeknights",
        "weeknights in bed by {h} pm",
        (0, 1),
        (4, 5),
        h=(10, 11),
    )
    + _counts(
        "symptoms",
        S,
        "Check the front door lock no more than {k} times before leaving",
        "lock checks before leaving",
        (6, 12),
        (1, 2),
    )
)

#: Homework tasks by goal category; the last entry holds tasks not tied to a goal.
HOMEWORK_TASKS: tuple[tuple[str, ...], ...] = (
    ("Mood diary every evening", "Three good things diary", "Schedule one pleasant activity a day"),
    (
        "Activity schedule for the week",
        "Graded walk - next step of the hierarchy",
        "Plan and do two valued activities",
    ),
    (
        "Thought record - three entries",
        "Behavioural experiment: test one prediction",
        "Write down self-critical thoughts and a kinder reply",
    ),
    (
        "Plan one contact with a friend",
        "Practise an assertive request with my partner",
        "Write down what I want to say before the conversation",
    ),
    (
        "Breathing practice 10 minutes daily",
        "Worry time 15 minutes a day",
        "Grounding exercise when overwhelmed - note each use",
    ),
    (
        "Values worksheet",
        "Find one course or group to join",
        "Write a compassionate letter to myself",
    ),
    ("Sleep diary", "Panic diary - rate each episode", "Exposure practice - next step"),
    (
        "Read the handout from today's session",
        "Listen to the session recording",
        "Problem-solving worksheet",
        "Relaxation recording once a day",
    ),
)


@dataclass(frozen=True)
class EventTemplate:
    """A life event or medication change and its effect on latent severity."""

    kind: str
    description: str
    impact: str
    effect: float  # added to latent severity (0-1 scale); negative = helps
    persistent: bool  # True: ramps up and stays (medication); False: fades (life events)


EVENT_TEMPLATES: tuple[EventTemplate, ...] = (
    EventTemplate("life_event", "Lost job", "negative", 0.10, False),
    EventTemplate("life_event", "Bereavement - death of a parent", "negative", 0.12, False),
    EventTemplate("life_event", "Relationship ended", "negative", 0.10, False),
    EventTemplate("life_event", "Debt problems got worse", "negative", 0.07, False),
    EventTemplate("life_event", "Moved house", "neutral", 0.02, False),
    EventTemplate("life_event", "Child started school", "neutral", 0.0, False),
    EventTemplate("life_event", "Started a new job", "positive", -0.05, False),
    EventTemplate("life_event", "Got engaged", "positive", -0.04, False),
    EventTemplate("medication_change", "Started sertraline 50 mg", "neutral", -0.06, True),
    EventTemplate("medication_change", "Increased sertraline to 100 mg", "neutral", -0.04, True),
    EventTemplate("medication_change", "Started citalopram 20 mg", "neutral", -0.05, True),
    EventTemplate("medication_change", "Started mirtazapine 15 mg", "neutral", -0.05, True),
    EventTemplate("medication_change", "Stopped antidepressant", "neutral", 0.03, True),
    EventTemplate(
        "medication_change", "Started propranolol 40 mg as needed", "neutral", -0.02, True
    ),
    EventTemplate("physical_health", "Diagnosed with type 2 diabetes", "negative", 0.05, False),
    EventTemplate("physical_health", "Back injury - off work", "negative", 0.07, False),
    EventTemplate("physical_health", "Knee operation", "negative", 0.04, False),
    EventTemplate("physical_health", "Long covid symptoms", "negative", 0.06, True),
    EventTemplate("other", "Court case concluded", "positive", -0.03, False),
    EventTemplate("other", "Started volunteering", "positive", -0.03, False),
    EventTemplate("other", "Housing application approved", "positive", -0.04, False),
)
