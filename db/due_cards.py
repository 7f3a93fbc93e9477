"""Which flashcards are due: one definition for the review queue and the dashboard's count.

A fragment (FROM … WHERE) with `:now`: every card of the learner's completed sets whose
schedule says due, or that has no schedule yet (a new card is due at once).
"""

_DUE_CARDS_FROM = """
    FROM study_contents sc
    JOIN courses co ON co.id = sc.course_id
    CROSS JOIN LATERAL jsonb_array_elements(sc.payload -> 'cards') WITH ORDINALITY AS card(body, position)
    LEFT JOIN flashcard_states fs
      ON fs.user_id = {learner} AND fs.study_content_id = sc.id AND fs.card_key = card.body ->> 'id'
    WHERE co.owner_id = {learner} AND sc.type = 'flashcards' AND sc.status = 'completed'
      AND (fs.due_at IS NULL OR fs.due_at <= :now)
"""


def due_cards_from(learner: str = ":user_id") -> str:
    """The fragment for one learner: a bind parameter by default, or a column of the enclosing
    statement's row (`u.id`) when the learner is correlated rather than passed."""
    return _DUE_CARDS_FROM.format(learner=learner)
